"""The model catalogue: shipped checkpoints and this browser's own models, served alike.

`source(entry)` gives a ModelSource whatever the model's origin; pages ask it for the checkpoint,
the explorer bundle, the browser's decoder URL and the verdict's typicality reference. Shipped
models are cached once for all sessions (read-only); a session's own models live in its state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

import latent_control
from aelib import load_bundle, load_checkpoint
from aelib.io import zoo
from aelib.io.bundle import Bundle
from aelib.io.zoo import ModelEntry
from labapp import browser_models, keys
from labapp.display import no_paths, plain

# The server decodes a handful of small images per request, many sessions at once: one thread per
# request and PyTorch's native kernels (oneDNN's primitive caches and per-thread scratch memory cost
# about 20 MiB and buy nothing at batch sizes of 1-16). Measured by benchmarks/memory.py.
torch.set_num_threads(1)
torch.backends.mkldnn.enabled = False

# What a newcomer expects first in an app about digits: the MNIST convolutional VAE.
DEFAULT_MODEL = "mnist_conv_vae"
# What one session may hold in models it trained or opened: on a shared 690 MB server, a visitor who
# opens the same large file again and again must not take the memory of everyone else.
MAX_USER_MODELS = 4
MAX_USER_MODEL_MB = 256


@dataclass(frozen=True)
class ModelSource:
    """One model, shipped or the session's own: `entry` is its catalogue line (zoo.summarise)."""

    entry: ModelEntry

    @property
    def own(self) -> bool:
        return self.entry.own

    def _record(self) -> dict:
        return user_models()[self.entry.id]

    def _mtime(self) -> float:
        return Path(self.entry.path).stat().st_mtime

    def checkpoint(self):
        return self._record()["checkpoint"] if self.own else _checkpoint(self.entry.path, self._mtime())

    def bundle(self) -> Bundle:
        return self._record()["bundle"] if self.own else _bundle(self.entry.path, self._mtime())

    def decoder_url(self) -> str:
        """Where the browser fetches the ONNX decoder (exported once per checkpoint or session model)."""
        if self.own:
            record = self._record()
            if asset_gone(record.get("decoder_url")):
                record["decoder_url"] = latent_control.decoder_asset(record["checkpoint"].model)
            return record["decoder_url"]
        path, mtime = self.entry.path, self._mtime()
        if asset_gone(url := _shipped_decoder_url(path, mtime)):
            _shipped_decoder_url.clear()
            url = _shipped_decoder_url(path, mtime)
        return url

    def typicality_reference(self) -> dict | None:
        """The test set's k-NN spread and ink level for verdicts, once per model (not per rerun)."""
        bundle = self.bundle()
        if bundle.codes is None or bundle.score is None or bundle.images is None:
            return None
        if not self.own:
            return _typicality_reference(self.entry.path, self._mtime())
        from aelib.explore.lab import typicality_reference as reference_of

        return self._record().setdefault("typicality_reference", reference_of(bundle))


def source(entry: ModelEntry) -> ModelSource:
    return ModelSource(entry)


def shipped(path: str) -> tuple:
    """A shipped checkpoint's (checkpoint, bundle), from the caches every session shares."""
    mtime = Path(path).stat().st_mtime
    return _checkpoint(path, mtime), _bundle(path, mtime)


def get_checkpoint(entry: ModelEntry):
    return source(entry).checkpoint()


def get_bundle(entry: ModelEntry) -> Bundle:
    return source(entry).bundle()


def typicality_reference(entry: ModelEntry) -> dict | None:
    return source(entry).typicality_reference()


def decoder_url(entry: ModelEntry) -> str | None:
    """The decoder's URL; None, with a note, when it cannot be made: the page decodes on the server."""
    try:
        return source(entry).decoder_url()
    except Exception as exc:  # any failure costs only the live controls: the server still decodes
        st.caption(f"In-browser decoding is off for this model ({plain(no_paths(exc))}); decoding on the server.")
        return None


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime) for p in sorted(directory.glob("*.safetensors")))


@st.cache_data(show_spinner=False)
def _entries(directory: str, stamp: tuple) -> tuple[list[ModelEntry], list[str]]:
    return zoo.list_checkpoints(directory)


def model_entries() -> tuple[list[ModelEntry], list[str]]:
    """Readable checkpoints and one error line per unreadable file (cached until files change),
    then this session's own models."""
    directory = zoo.checkpoint_dir()
    own = [m["entry"] for m in user_models().values()]
    if not directory.is_dir():
        return own, [f"checkpoint folder {directory} does not exist"]
    entries, errors = _entries(str(directory), _stamp(directory))
    return [*entries, *own], [*errors, *st.session_state.get(keys.USER_MODEL_ERRORS, [])]


def user_models() -> dict[str, dict]:
    """This browser's own models (trained on the Train page or opened there): id -> {entry,
    checkpoint, bundle}. Loaded once per session from the browser's folder on the server
    (browser_models), so a reload or a second tab keeps them; no other browser sees them."""
    if keys.USER_MODELS not in st.session_state:
        models, errors = browser_models.stored_models()
        st.session_state[keys.USER_MODELS], st.session_state[keys.USER_MODEL_ERRORS] = models, errors
    return st.session_state[keys.USER_MODELS]


def add_user_model(name: str, checkpoint, bundle: Bundle, data: bytes | None = None) -> str:
    """Make a model the session's own and its active model; returns its id (e.g. "yours_shoes_2").
    With its checkpoint file's `data`, it is also kept for this browser (the sentence that says for
    how long is left in st.session_state[keys.KEPT_NOTE])."""
    stem = browser_models.PRIVATE_PREFIX + (re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()[:30] or "model")
    taken = {e.id for e in model_entries()[0]} | browser_models.stored_ids()
    candidates = [stem, *(f"{stem}_{i}" for i in range(2, len(taken) + 3))]
    model_id = next(c for c in candidates if c not in taken)
    bundle.read_only()  # shared by every page of the session, like the cached bundles
    entry = zoo.summarise(Path(f"{model_id}.safetensors"), checkpoint.header, own=True)
    _make_room(user_models(), model_bytes(checkpoint, bundle))
    user_models()[model_id] = {"entry": entry, "checkpoint": checkpoint, "bundle": bundle}
    st.session_state[keys.KEPT_NOTE] = browser_models.keep(model_id, data)
    st.session_state[keys.ACTIVE_MODEL] = model_id
    return model_id


def model_bytes(checkpoint, bundle: Bundle) -> int:
    """Memory a session model holds: its weights and its explorer arrays."""
    weights = sum(t.numel() * t.element_size() for t in checkpoint.model.state_dict().values())
    return weights + bundle.nbytes


def _make_room(models: dict, new_bytes: int) -> None:
    """Drop the session's oldest models until one more of `new_bytes` fits the caps; say which."""
    dropped = []
    while models and (
        len(models) >= MAX_USER_MODELS
        or sum(model_bytes(m["checkpoint"], m["bundle"]) for m in models.values()) + new_bytes
        > MAX_USER_MODEL_MB * 2**20
    ):
        oldest = next(iter(models))
        dropped.append(oldest)
        del models[oldest]
    if dropped:
        st.warning(
            f"This session keeps at most {MAX_USER_MODELS} of your models ({MAX_USER_MODEL_MB} MB): "
            f"closed the oldest, {', '.join(dropped)}. Download a model to keep it.",
            icon="ℹ️",
        )


@st.cache_resource(show_spinner="Loading model…")
def _checkpoint(path: str, mtime: float):
    return load_checkpoint(path)  # shared by all sessions: callers must never modify the model


@st.cache_resource(show_spinner=False)
def _bundle(path: str, mtime: float) -> Bundle:
    """One read-only copy for all sessions (cache_data would keep a pickle and hand out copies)."""
    return load_bundle(path).read_only()


@st.cache_resource(show_spinner=False)
def _shipped_decoder_url(path: str, mtime: float) -> str:
    return latent_control.decoder_asset(_checkpoint(path, mtime).model)


@st.cache_resource(show_spinner=False)
def _typicality_reference(path: str, mtime: float) -> dict:
    from aelib.explore.lab import typicality_reference

    return typicality_reference(_bundle(path, mtime))


def asset_gone(url: str | None) -> bool:
    """True when a remembered asset URL has no file behind it any more (pruned, or the folder cleaned)."""
    return url is None or not (latent_control.FRONTEND / url).is_file()
