"""Uploads and drawings: prepared once per file, judged in one line, drawn on a canvas."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aelib.io.zoo import ModelEntry
from labapp import keys
from labapp.display import plain
from labapp.models import get_bundle, typicality_reference


@st.cache_data(max_entries=16, show_spinner="Preparing the image…")
def prepared_upload(data: bytes, name: str, dataset: str, image_shape: tuple, face_box=None) -> dict:
    """inference.prepare_upload, once per file and setting rather than on every rerun; the original
    is kept as a 300-px preview so that the cache stays small. Raises what prepare_upload raises."""
    from aelib.explore import inference
    from aelib.preprocess.imaging import shrink_to

    prepared = inference.prepare_upload(data, name, dataset, image_shape, face_box)
    return {**prepared, "gray": shrink_to(prepared["gray"], 300)}


def judged(model, image: np.ndarray, entry: ModelEntry, label=None, evidence: dict | None = None) -> dict:
    """aelib.explore.lab.judge against `entry`'s bundle and cached verdict reference: the one reading
    of an input that every page's verdict comes from (Reconstruct, Compare, Interpolate, Denoise).
    evidence: what the upload pipeline set aside (prepare_upload's "evidence"), so that the verdict
    judges what was uploaded, not only the part that was kept."""
    from aelib.explore.lab import judge

    return judge(model, image, get_bundle(entry), label=label, reference=typicality_reference(entry), evidence=evidence)


def show_verdict(out: dict, names: list[str] | None, where=st, brief: bool = False) -> None:
    """The graded answer for one input (`judged`, aelib.explore.verdict): typical, unusual, unlike
    anything the model saw, or no face found, with its reasons and whether it is a close call;
    brief: the answer alone (a narrow column), without the reasons and the label."""
    typical = out.get("typicality")
    if typical is None:
        return
    title, _, reasons = typical["text"].partition(": ")
    box = {"typical": where.success, "unusual": where.warning}.get(typical["word"], where.error)
    if brief:
        box(f"**{plain(title)}**")
        return
    nearest = ""
    # a label only for what the model can read: not for "no face found" nor for "unlike anything it saw"
    if "nearest_label" in out and names and typical["word"] in ("typical", "unusual"):
        vote = f"the 5 nearest test images are mostly **{plain(names[out['nearest_vote']])}**"
        nearest = f" {vote[0].upper()}{vote[1:]}."
        if out.get("label_from") == "classifier":  # aelib.scoring.label_head, trained on the training codes
            read = plain(names[out["nearest_label"]])
            nearest = f" Its code reads as **{read}** (a small classifier on the code); {vote}."
    box(f"**{plain(title)}:** {plain(reasons)}{nearest}")


def upload_verdict(model, image: np.ndarray, entry: ModelEntry, label=None, evidence: dict | None = None) -> None:
    """One line on how typical an upload is for this model (the Reconstruct page has the details)."""
    if typicality_reference(entry) is None:
        return
    verdict = judged(model, image, entry, label, evidence).get("typicality")
    if verdict is None:
        return
    text = verdict["verdict"]
    (st.caption if verdict["typical"] else st.warning)(text[:1].upper() + text[1:].rstrip(".") + ".")


def drawn_input(dataset: str, image_shape, name: str = "drawing") -> dict | None:
    """The canvas's last drawing (st.session_state[keys.DRAWING]) prepared for a model, as an
    upload is (name, gray, image, steps, notes, evidence); None when nothing is drawn, or when it
    cannot be prepared (the reason shown in its place)."""
    from aelib import AelibError
    from aelib.explore import inference

    drawing = st.session_state.get(keys.DRAWING)
    if drawing is None:
        return None
    rgb = np.asarray(drawing, np.float32)[..., :3] / 255.0
    gray = rgb if image_shape[0] == 3 else rgb.mean(-1)
    try:
        prepared = inference.prepare_image(gray, dataset, image_shape, drawn=True)
    except AelibError as exc:
        st.error(plain(f"drawing: {exc}"))
        return None
    return {"name": name, "gray": gray, "image": prepared.image, "steps": prepared.steps, "notes": prepared.notes,
            "evidence": prepared.evidence}  # fmt: skip


def draw_digit(key: str, note: str = "") -> None:
    """The drawing canvas (Reconstruct, Compare): what it shows goes to st.session_state[keys.DRAWING]
    as (280, 280, 4) uint8 RGBA, shared by both pages; an empty canvas removes it."""
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
    if result is not None and result.image_data is not None:
        if result.image_data[..., :3].min() < 250:
            st.session_state[keys.DRAWING] = result.image_data
        else:  # an empty canvas (reset, or drawn afresh) leaves nothing to judge: no old result under it
            st.session_state.pop(keys.DRAWING, None)
