"""How much memory this server may still use, and whether a heavy job fits in it.

A hosting plan caps the server's memory (Streamlit Community Cloud: 690 MB to 2.7 GB), and past the
cap the kernel kills the whole server, every visitor's session with it. So before a heavy job
(t-SNE, training) starts, its rough need is compared with the room left under the cap: the cgroup's
limit (v2 `memory.max` or v1 `memory.limit_in_bytes`, as containers and benchmarks/memory_cap.py set
it), or `AELIB_MEMORY_MB` when the host does not expose one. A job that does not fit is refused with
a message saying why, instead of letting the box be killed.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import AelibError

MB = 2**20
UNLIMITED = 2**60  # cgroup v1 writes "no limit" as a number near 2**63
SAFETY_MB = 0.1  # keep 10% of the cap free: page caches and allocator slack live there too


class NotEnoughMemory(AelibError):
    """A heavy job that would not fit in the memory left to this server."""


@dataclass(frozen=True)
class MemoryState:
    """limit_mb: the cap (None when there is none); used_mb: what the server's group (or, without a
    cgroup, this process) holds now."""

    limit_mb: float | None
    used_mb: float

    @property
    def room_mb(self) -> float:
        """What a new job may use: the cap less 10% slack less what is used (inf without a cap)."""
        if self.limit_mb is None:
            return math.inf
        return self.limit_mb * (1 - SAFETY_MB) - self.used_mb


def _cgroup_dirs() -> list[Path]:
    """This process's memory cgroup folders (v1 and v2), most specific first."""
    dirs = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return dirs
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            dirs.append(Path("/sys/fs/cgroup/memory") / path.lstrip("/"))
        elif controllers == "":
            dirs.append(Path("/sys/fs/cgroup") / path.lstrip("/"))
    return [*dirs, Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup")]


def _read_number(path: Path) -> float | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return None if text == "max" or not text.isdigit() or int(text) >= UNLIMITED else int(text) / MB


def _inactive_file_mb(folder: Path) -> float:
    """Page cache the kernel can drop at once (files read, e.g. checkpoints): counted in the group's
    usage but not what pushes it over its cap ("working set" = usage - inactive file, as docker does)."""
    try:
        for line in (folder / "memory.stat").read_text().splitlines():
            key, value = line.split()
            if key in ("total_inactive_file", "inactive_file"):
                return int(value) / MB
    except (OSError, ValueError):
        pass
    return 0.0


def _process_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def memory_state() -> MemoryState:
    """The cap and the use now: AELIB_MEMORY_MB (against this process's resident memory) wins over
    the cgroup's limit (against the group's usage)."""
    if setting := os.environ.get("AELIB_MEMORY_MB"):
        return MemoryState(float(setting), _process_rss_mb())
    for folder in _cgroup_dirs():
        limit = _read_number(folder / "memory.limit_in_bytes") or _read_number(folder / "memory.max")
        if limit is not None:
            used = _read_number(folder / "memory.usage_in_bytes") or _read_number(folder / "memory.current")
            if used is None:
                return MemoryState(limit, _process_rss_mb())
            return MemoryState(limit, max(used - _inactive_file_mb(folder), 0.0))
    return MemoryState(None, _process_rss_mb())


# What a training adds on top of its data and weights, measured by benchmarks/train_memory.py with
# the CPU build of torch: about 40 MB while it runs (activations, the explorer bundle, t-SNE at the
# end), and, the first time in a process, about 100 MB of code that PyTorch's optimizers import
# (torch._dynamo, through the optimizers' `_disable_dynamo` wrapper) and that stays loaded after.
WORKING_MB = 40
FIRST_TRAINING_MB = 100


def training_need_mb(n_images: int, image_shape, n_parameters: int = 2_000_000) -> float:
    """Rough peak of a training job: the data as float32 three times over (train, test, a batch's
    augmented copy), weights with Adam's two moments and gradients, working memory, and the
    optimizer's one-time imports while this process has not made them yet."""
    values = n_images * math.prod(image_shape)
    first = FIRST_TRAINING_MB if "torch._dynamo.convert_frame" not in sys.modules else 0
    return 3 * values * 4 / MB + 4 * n_parameters * 4 / MB + WORKING_MB + first


def require_room(
    need_mb: float, what: str, state: MemoryState | None = None, smaller: str = "a smaller job", returned_mb: float = 0
) -> None:
    """Raise NotEnoughMemory, with the numbers, when `what` (needing about `need_mb`) does not fit;
    `smaller` names what the user can shrink ("fewer or smaller images"). `returned_mb`: memory
    that running jobs hold and give back when they end (a job that queues behind them will have it)."""
    state = state or memory_state()
    if need_mb > state.room_mb + returned_mb:
        raise NotEnoughMemory(
            f"Not started: {what} needs about {need_mb:.0f} MB and this server has {max(state.room_mb, 0):.0f} MB "
            f"free of its {state.limit_mb:.0f} MB (others are using it). Try {smaller}, or again in a minute "
            "when other visitors' jobs have finished."
        )
