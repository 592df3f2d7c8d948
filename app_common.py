"""Streamlit glue shared by the pages: model choice (synced with the URL), caching, image display.
Only widgets and caching live here; the work is done by aelib."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from aelib import AelibError, load_bundle, load_checkpoint
from aelib import zoo
from aelib.imaging import to_uint8, upscale


# Streamlit's own page list would call the home page "app" (after app.py), so we draw our own.
NAVIGATION = [("app.py", "Home", ":material/home:"),
              ("pages/1_Latent_map.py", "Latent map", ":material/scatter_plot:"),
              ("pages/2_Generate.py", "Generate", ":material/tune:"),
              ("pages/3_Interpolate.py", "Interpolate", ":material/timeline:"),
              ("pages/4_Reconstruct.py", "Reconstruct", ":material/draw:"),
              ("pages/5_Denoise.py", "Denoise", ":material/auto_fix_high:"),
              ("pages/6_Anomalies.py", "Anomalies", ":material/crisis_alert:"),
              ("pages/7_Time_series.py", "Time series", ":material/monitor_heart:"),
              ("pages/8_Tabular_anomalies.py", "Tabular anomalies", ":material/table_chart:")]


def setup_page(title: str) -> None:
    """Every page starts here: wide layout and the page title."""
    st.set_page_config(page_title=f"{title} · Autoencoder Lab", page_icon=":material/blur_on:", layout="wide")
    with st.sidebar:
        for path, label, icon in NAVIGATION:
            st.page_link(path, label=label, icon=icon)
        st.divider()
    st.title(title)


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime) for p in sorted(directory.glob("*.safetensors")))


@st.cache_data(show_spinner=False)
def _entries(directory: str, stamp: tuple) -> tuple[list[dict], list[str]]:
    return zoo.list_checkpoints(directory)


def model_entries() -> tuple[list[dict], list[str]]:
    """Readable checkpoints and one error line per unreadable file (cached until files change)."""
    directory = zoo.checkpoint_dir()
    if not directory.is_dir():
        return [], [f"checkpoint folder {directory} does not exist"]
    return _entries(str(directory), _stamp(directory))


@st.cache_resource(show_spinner="Loading model…")
def _checkpoint(path: str, mtime: float):
    return load_checkpoint(path)  # shared by all sessions: callers must never modify the model


@st.cache_data(show_spinner=False)
def _bundle(path: str, mtime: float) -> dict:
    return load_bundle(path)


def get_checkpoint(entry: dict):
    return _checkpoint(entry["path"], Path(entry["path"]).stat().st_mtime)


def get_bundle(entry: dict) -> dict:
    return _bundle(entry["path"], Path(entry["path"]).stat().st_mtime)


def _resolve_choice(ids: list[str]) -> str:
    wanted = st.query_params.get("model")
    if wanted and wanted not in ids:
        st.warning(f"Unknown model **{wanted}** in the link. Available here: {', '.join(ids)}.")
        wanted = None
    remembered = st.session_state.get("active_model")
    return wanted or (remembered if remembered in ids else ids[0])


def choose_model(need=None, need_text: str = "", kind: str = "image"):
    """Sidebar picker of the active model. Returns (entry, checkpoint, bundle) or stops the page
    with a clear message; `need(entry) -> bool` restricts the choice (e.g. models with labels),
    and `kind` picks image, series or table models."""
    entries, errors = model_entries()
    for error in errors:
        st.sidebar.error(f"Skipped a checkpoint: {error}")
    usable = [e for e in entries if e.get("kind", "image") == kind and (need is None or need(e))]
    if not usable:
        st.info(f"No shipped model fits this page{': ' + need_text if need_text else ''}. "
                "Train one with `python -m aelib train` (see the README).")
        st.stop()
    ids = [e["id"] for e in usable]
    current = _resolve_choice(ids)
    st.session_state["_model_picker"] = current
    by_id = {e["id"]: e for e in usable}
    chosen = st.sidebar.selectbox("Active model", ids, key="_model_picker")
    st.sidebar.caption(f"`{by_id[chosen]['model']}` on {by_id[chosen]['dataset']}, "
                       f"{by_id[chosen]['latent_dim']}-D latent")
    st.session_state["active_model"] = chosen
    st.query_params["model"] = chosen
    entry = by_id[chosen]
    try:
        checkpoint, bundle = get_checkpoint(entry), get_bundle(entry)
    except AelibError as exc:
        st.error(f"This model cannot be loaded: {exc}")
        st.stop()
    return entry, checkpoint, bundle


def show_images(images, captions=None, height: int = 140, n_cols: int | None = None) -> None:
    """A row (or rows) of images, enlarged with nearest-neighbour so pixels stay crisp."""
    images = list(images)
    n_cols = n_cols or len(images)
    for start in range(0, len(images), n_cols):
        columns = st.columns(n_cols)
        for i, image in enumerate(images[start:start + n_cols]):
            caption = captions[start + i] if captions else None
            enlarged = big(image, height)
            columns[i].image(enlarged, caption=caption, width=enlarged.shape[1])


def big(image: np.ndarray, height: int = 140) -> np.ndarray:
    """(H, W) or (H, W, 3) in [0, 1] -> enlarged uint8 for st.image (one fixed grey scale)."""
    image = to_uint8(image) if image.dtype != np.uint8 else image
    if image.ndim == 3:
        factor = max(1, height // image.shape[0])
        return np.repeat(np.repeat(image, factor, 0), factor, 1)
    return upscale(image, height)


def label_names(checkpoint) -> list[str]:
    names = checkpoint.header["dataset"].get("class_names")
    return names or []


def bundle_images(bundle: dict) -> np.ndarray:
    """The bundle's uint8 test images as (N, H, W) floats for display and encoding."""
    images = bundle["images"].astype(np.float32) / 255.0
    return images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)


def require_bundle(bundle: dict) -> None:
    if "codes" not in bundle:
        st.info("This model has no explorer bundle yet: run `python -m aelib bundle PATH --data-root DIR`.")
        st.stop()
