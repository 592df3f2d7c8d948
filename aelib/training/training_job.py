"""Training in the background, for a web page to watch: progress, a live loss history, previews
after every epoch, cancel, and the finished model with its explorer bundle and checkpoint.

Why a thread: a Streamlit script reruns on every click, and training must outlive those reruns
without blocking them. The page polls `snapshot()`; nothing here knows about Streamlit.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import gc
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..datasets.base import ImageData
from ..explore.inference import sample_grid
from ..io.build import build_bundle
from ..io.checkpoint import load_bundle, load_checkpoint, save_checkpoint
from .jobs import JobSlots
from .memory import NotEnoughMemory, require_room
from .train import TrainConfig, fit

HEARTBEAT_TIMEOUT_S = 60.0  # a page that stopped polling this long ago (closed tab) stops its training


@dataclass
class Snapshot:
    """What the page shows. status: queued, training, mapping, done, cancelled, failed."""

    status: str = "queued"
    queue_place: int = 0
    epoch: int = 0  # finished epochs
    n_epochs: int = 0
    batch: int = 0  # batches done in the current epoch
    n_batches: int = 0
    seconds: float = 0.0
    history: list = field(default_factory=list)
    preview: np.ndarray | None = None  # rows: inputs, reconstructions (and samples for VAEs)
    message: str = ""

    @property
    def fraction(self) -> float:
        done = self.epoch + (self.batch / self.n_batches if self.n_batches else 0.0)
        return min(1.0, done / max(1, self.n_epochs))

    @property
    def seconds_left(self) -> float | None:
        return self.seconds * (1 - self.fraction) / self.fraction if self.fraction > 0.02 else None


class TrainingJob:
    """Train `model` on `data` in a thread, then build its bundle and checkpoint.

    slots: the server's JobSlots (one job per slot; the rest queue). After `status == "done"`,
    `checkpoint` (an aelib Checkpoint), `bundle` and `checkpoint_bytes` (.safetensors) are set.
    Cancel stops before the next batch and keeps the last finished epoch's weights. So does the
    end of whoever started it: `alive()` turning false (e.g. the browser session closed), or by
    default nobody calling `snapshot()` for HEARTBEAT_TIMEOUT_S.
    need_mb: the job's memory need (aelib.training.memory.training_need_mb), checked when its turn comes:
    status "refused", with the numbers in `message`, when it does not fit then.
    """

    def __init__(
        self,
        model,
        data: ImageData,
        config: TrainConfig,
        slots: JobSlots | None = None,
        header: dict | None = None,
        n_map_samples: int = 1000,
        alive=None,
        need_mb: float = 0.0,
    ):
        self.model, self.data, self.config = model, data, config
        self.slots = slots or JobSlots(1)
        self.header = {"dataset": data.card(), **(header or {})}
        self.n_map_samples = n_map_samples
        self.need_mb = need_mb
        self.alive = alive or (lambda: time.monotonic() - self._last_poll < HEARTBEAT_TIMEOUT_S)
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._snapshot = Snapshot(n_epochs=config.epochs)
        self._last_poll = time.monotonic()
        self.finished_weights = copy.deepcopy(model.state_dict())
        self.checkpoint = self.bundle = self.checkpoint_bytes = None
        self.thread = threading.Thread(target=self._run, name="aelib-training", daemon=True)

    def start(self) -> TrainingJob:
        self.thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    def snapshot(self) -> Snapshot:
        """A copy of the progress; calling it also tells the job that someone is still watching."""
        self._last_poll = time.monotonic()
        with self._lock:
            return copy.copy(self._snapshot)

    def _update(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._snapshot, name, value)

    def _should_stop(self) -> bool:
        return self._cancel.is_set() or not self.alive()

    def _run(self) -> None:
        try:
            with self.slots.slot(on_wait=lambda place: self._update(queue_place=place), need_mb=self.need_mb):
                if self.need_mb:  # the jobs it queued behind may have left less than when it was asked for
                    require_room(self.need_mb, f"training on {len(self.data.x_train):,} images", smaller="fewer images")
                self._update(status="training", queue_place=0)
                started = time.perf_counter()
                self._train(started)
                epochs = self._snapshot.epoch
                stopped = epochs < self.config.epochs  # (a cancel that came after the last batch changes nothing)
                if stopped:
                    self.model.load_state_dict(self.finished_weights)
                    self.model.eval()
                if stopped and (epochs == 0 or not self.alive()):  # nothing to keep, or nobody to keep it for
                    self._update(status="cancelled", message=f"stopped after {epochs} epoch(s)")
                    return
                self._update(status="mapping", message="encoding the test images and computing their maps")
                self._finish()
                self._update(
                    status="cancelled" if stopped else "done",
                    seconds=time.perf_counter() - started,
                    message=f"stopped after {epochs} epoch(s); the model of epoch {epochs} is kept" if stopped else "",
                )
        except NotEnoughMemory as exc:
            self._update(status="refused", queue_place=0, message=str(exc))
        except Exception as exc:  # shown to the user; the server and other sessions carry on
            self._update(status="failed", message=f"{type(exc).__name__}: {exc}")
        finally:
            self._give_back_memory()

    def _give_back_memory(self) -> None:
        """The job outlives its training in the user's session: drop the training data (a 3,000-image
        64x64 colour set is 150 MB as floats) and hand freed heap back to the system (glibc keeps it)."""
        self.data = None
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)

    def _train(self, started: float) -> None:
        def on_batch(epoch, i, n_batches):
            self._update(batch=i + 1, n_batches=n_batches, seconds=time.perf_counter() - started)

        def on_epoch(record):
            self.finished_weights = copy.deepcopy(self.model.state_dict())
            with torch.no_grad():
                preview = sample_grid(self.model, self.data.x_test[:8], self.data.y_test, n=8)
            self._update(
                epoch=record["epoch"],
                batch=0,
                history=[*self._snapshot.history, record],
                preview=preview,
                seconds=time.perf_counter() - started,
            )

        # config.threads and oneDNN apply to the whole process: a server may run with one thread
        # and without oneDNN (less memory per decode), but training wants both, then gives them back.
        threads, onednn = torch.get_num_threads(), torch.backends.mkldnn.enabled
        torch.backends.mkldnn.enabled = True
        try:
            fit(self.model, self.data, self.config, callback=on_epoch, on_batch=on_batch, should_stop=self._should_stop)
        finally:
            torch.set_num_threads(threads)
            torch.backends.mkldnn.enabled = onednn

    def _finish(self) -> None:
        n_samples = min(self.n_map_samples, len(self.data.x_test))
        bundle = build_bundle(self.model, self.data, n_samples=n_samples, with_tsne=n_samples >= 10)
        header = {
            **self.header,
            "train_config": asdict(self.config),
            "history": self._snapshot.history,
            "epoch": self._snapshot.epoch,
            "complete": True,
        }
        with tempfile.TemporaryDirectory() as folder:
            path = save_checkpoint(Path(folder) / "model.safetensors", self.model, header, bundle=bundle)
            self.checkpoint_bytes = path.read_bytes()
            # exactly what a download loads back, validated as a shipped checkpoint is
            self.checkpoint, self.bundle = load_checkpoint(path), load_bundle(path)
