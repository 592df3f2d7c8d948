"""JobSlots: a global limit on heavy jobs, with the waiting ones told their place in line."""

from __future__ import annotations

import threading
import time

import pytest

from aelib.training.jobs import JobSlots


def test_no_more_than_n_jobs_run_at_once_and_the_rest_are_told_to_wait():
    slots, running, peak, told = JobSlots(2), [0], [0], []
    lock = threading.Lock()

    def job():
        with slots.slot(on_wait=told.append):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=job) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert peak[0] == 2
    assert len(told) == 4 and min(told) == 1
    assert slots.waiting == 0


def test_a_failing_job_frees_its_slot():
    slots = JobSlots(1)
    with pytest.raises(RuntimeError), slots.slot():
        raise RuntimeError("boom")
    with slots.slot(on_wait=lambda place: pytest.fail("the slot should be free")):
        pass


def test_at_least_one_slot():
    with pytest.raises(ValueError):
        JobSlots(0)
