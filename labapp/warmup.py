"""After the first page of a fresh server is on screen, prepare what the next click needs: the
active model's in-browser decoder (an ONNX export, about 0.7 s), its verdict reference, its
attribute directions (1-2 s) and the chart libraries. A woken Community Cloud app otherwise makes
its first visitor wait for each of them on the page they open next (benchmarks/cold_start.py).
Once per server process, in a thread."""

from __future__ import annotations

import logging
import threading

from aelib.io.zoo import ModelEntry
from labapp.directions import prepare_shipped
from labapp.models import source

_started = threading.Event()


def prepare(entry: ModelEntry) -> None:
    """Start preparing `entry`'s model in the background, unless the server has already begun."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=_prepare, args=(entry,), name="aelib-warmup", daemon=True).start()


def _prepare(entry: ModelEntry) -> None:
    try:
        model = source(entry)
        model.decoder_url()
        model.typicality_reference()
        prepare_shipped(entry, model.checkpoint(), model.bundle())  # Generate's attribute sliders
        import aelib.explore.figures  # noqa: F401  (pandas and plotly's figure code, for the chart pages)
    except Exception:  # a failure here costs only the head start: the pages do the same work themselves
        logging.getLogger(__name__).exception("warm-up failed")
