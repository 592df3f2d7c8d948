"""Uploads and drawings: prepared once per file, judged in one line, drawn on a canvas."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aelib.io.zoo import ModelEntry
from labapp import keys
from labapp.models import get_bundle, typicality_reference


@st.cache_data(max_entries=16, show_spinner="Preparing the image…")
def prepared_upload(data: bytes, name: str, dataset: str, image_shape: tuple, face_box=None) -> dict:
    """inference.prepare_upload, once per file and setting rather than on every rerun; the original
    is kept as a 300-px preview so that the cache stays small. Raises what prepare_upload raises."""
    from aelib.explore import inference
    from aelib.preprocess.imaging import shrink_to

    prepared = inference.prepare_upload(data, name, dataset, image_shape, face_box)
    return {**prepared, "gray": shrink_to(prepared["gray"], 300)}


def upload_verdict(model, image: np.ndarray, entry: ModelEntry, label=None, evidence: dict | None = None) -> None:
    """One line on how typical an upload is for this model (the Reconstruct page has the details).
    evidence: what the upload pipeline set aside (prepare_upload's "evidence"), so that the verdict
    judges what was uploaded, not only the part that was kept."""
    from aelib.explore import inference
    from aelib.explore.lab import typicality

    reference = typicality_reference(entry)
    if reference is None:
        return
    result = inference.reconstruct(model, image, label)
    verdict = typicality(image, result, get_bundle(entry), reference, evidence)
    text = verdict["verdict"]
    (st.caption if verdict["typical"] else st.warning)(text[:1].upper() + text[1:].rstrip(".") + ".")


def draw_digit(key: str, note: str = "") -> None:
    """The drawing canvas (Reconstruct, Compare): the last drawing with ink goes to
    st.session_state[keys.DRAWING] as (280, 280, 4) uint8 RGBA, shared by both pages."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:
        st.info("Drawing needs streamlit-drawable-canvas (`pip install -r requirements.txt`).")
        return
    st.caption(f"Draw one digit, large, in the middle of the square. {note}".strip())
    st.container(height=28, border=False)  # the canvas's toolbar floats above it, over this space
    result = st_canvas(
        stroke_width=18,
        stroke_color="#000000",
        background_color="#FFFFFF",
        height=280,
        width=280,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    if result is not None and result.image_data is not None and result.image_data[..., :3].min() < 250:
        st.session_state[keys.DRAWING] = result.image_data
