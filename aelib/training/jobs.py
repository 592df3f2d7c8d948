"""A fair share of the server's cores for heavy work (t-SNE, in-app training).

One `JobSlots` per server process lets at most `n_slots` such jobs run at once, across every
session; the rest wait in line and are told their place. Plain threading: Streamlit runs each
session's script in its own thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator


class JobSlots:
    """At most `n_slots` jobs at a time; `slot()` blocks until one is free."""

    def __init__(self, n_slots: int = 1):
        if n_slots < 1:
            raise ValueError("n_slots must be at least 1")
        self.n_slots = n_slots
        self._free = threading.BoundedSemaphore(n_slots)
        self._lock = threading.Lock()
        self.waiting = 0
        self.reserved_mb = 0.0  # memory the running jobs said they need, given back as they end

    @contextlib.contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None, need_mb: float = 0.0) -> Iterator[None]:
        """Run the body in a slot. If none is free, on_wait(place in line, 1 = next) is called
        once before waiting. `need_mb` is counted in `reserved_mb` while the body runs."""
        if not self._free.acquire(blocking=False):
            with self._lock:
                self.waiting += 1
                place = self.waiting
            try:
                if on_wait:
                    on_wait(place)
                self._free.acquire()
            finally:
                with self._lock:
                    self.waiting -= 1
        with self._lock:
            self.reserved_mb += need_mb
        try:
            yield
        finally:
            with self._lock:
                self.reserved_mb -= need_mb
            self._free.release()
