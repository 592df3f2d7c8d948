"""Import the library once per server, under one lock, before a page imports any part of it.

Each session runs its script in its own thread. Python takes a module's import lock before its
parent package's, so a thread importing `aelib.explore.latent` (lock: that module, then waits for
`aelib`) while another runs `aelib/__init__` (lock: `aelib`, then waits for a child the first one
holds) deadlocks: Python breaks it with _DeadlockError and the page fails. That is what fifty
phones opening a just-woken app at once would do. The packages whose __init__ imports its children
are imported here first, by one thread while the others wait on a plain lock; after that every
import left is of a module whose parents are loaded, and modules never import in a circle
(tests/test_import_graph.py), so no lock can be waited on in a circle.
"""

from __future__ import annotations

import importlib
import threading

# `aelib/__init__` imports aelib.models and aelib.datasets, the two packages that import children.
PACKAGES = ("aelib",)
_lock = threading.Lock()


def import_library() -> None:
    """Cheap after the first call (the modules are in sys.modules)."""
    with _lock:
        for name in PACKAGES:
            importlib.import_module(name)
