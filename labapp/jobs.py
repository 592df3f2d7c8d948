"""Heavy jobs (t-SNE, training): one per two cores for all sessions together, each checked against
the memory the server has left, before and after it waits for its turn."""

from __future__ import annotations

import contextlib
import ctypes
import os

import streamlit as st

from aelib.training.jobs import JobSlots


@st.cache_resource
def job_slots() -> JobSlots:
    # one heavy job per two cores, for all sessions together: a crowd queues instead of thrashing
    return JobSlots(max(1, (os.cpu_count() or 2) // 2))


@contextlib.contextmanager
def heavy_job(progress, need_mb: float = 150, what: str = "this job"):
    """Context for t-SNE or training: waits for a free slot, telling the user their place on
    `progress` (an st.progress bar). Raises aelib.training.memory.NotEnoughMemory, before and again after
    waiting, when the job's `need_mb` does not fit in the memory left to the server."""
    from aelib.training.memory import require_room

    slots = job_slots()
    require_room(need_mb, what, returned_mb=slots.reserved_mb)  # (the jobs it waits for give theirs back)
    with slots.slot(
        on_wait=lambda place: progress.progress(
            0.0, text=f"Queued, number {place} in line: this server runs {slots.n_slots} heavy job(s) at a time…"
        ),
        need_mb=need_mb,
    ):
        require_room(need_mb, what)  # others' jobs may have grown while this one waited
        yield


def release_freed_memory() -> None:
    """Hand memory that earlier reruns freed back to the OS (glibc keeps it otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
