"""Streamlit glue for the Compare page: which models, the user's own image, cached numbers, tiles.
The maths is in aelib.explore.compare; this module only caches it and lays out widgets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from aelib import AelibError
from aelib.explore import compare
from aelib.io.zoo import ModelEntry
from aelib.preprocess.imaging import upscale
from labapp.display import image_source, label_names, plain
from labapp.models import get_bundle, get_checkpoint, shipped, user_models
from labapp.uploads import draw_digit, drawn_input, judged, prepared_upload, show_verdict

TILE_WIDTH = 150  # px: every tile of a row is enlarged to about this width, by a whole factor


class Model:
    """One compared model: its zoo entry, checkpoint, bundle and kind."""

    def __init__(self, entry: ModelEntry):
        self.entry, self.id, self.kind = entry, entry.id, compare.kind_of(entry)
        self.checkpoint = get_checkpoint(entry)
        self.bundle = get_bundle(entry)
        self.net = self.checkpoint.model

    @property
    def usable(self) -> bool:
        return self.bundle.images is not None and self.bundle.codes is not None


def pick_models(candidates: list[ModelEntry], dataset: str) -> list[Model]:
    """The multiselect of models on `dataset` (default: compare.default_selection); stops the page
    with a note when fewer than two usable models are there. Models whose bundle is missing are
    listed as skipped."""
    ids = [e.id for e in candidates]
    by_id = {e.id: e for e in candidates}
    chosen = st.multiselect(
        f"Models on {dataset} to compare (add or remove any)",
        ids,
        default=compare.default_selection(candidates),
        format_func=lambda i: f"{i} · {compare.kind_of(by_id[i])}",
        key=f"compare_models_{dataset}",
    )
    models, skipped = [], []
    for model_id in chosen:
        try:
            model = Model(by_id[model_id])
        except AelibError as exc:
            skipped.append(f"{model_id} ({exc})")
            continue
        (models if model.usable else skipped).append(model if model.usable else f"{model_id} (no explorer bundle)")
    if skipped:
        st.caption(plain("Left out: " + "; ".join(skipped) + "."))
    if len(candidates) < 2:
        st.info(
            f"Only one model is trained on {dataset} ({ids[0]}), so there is nothing to compare it with. "
            "Pick an MNIST model in the sidebar to compare six kinds, or train another model on "
            f"{dataset} on the Train page.",
            icon="ℹ️",
        )
    elif len(models) < 2:
        st.info("Choose at least two models above to compare them.", icon="ℹ️")
    return models


def own_images(dataset: str, image_shape: tuple) -> list[dict]:
    """The user's upload(s) and drawing, prepared for `dataset` by the Reconstruct page's pipeline
    (labapp.uploads.prepared_upload / inference.prepare_image): dicts with name, image (H, W[, 3]) and
    evidence (what the preparation set aside, for the verdict)."""
    upload_tab, draw_tab = st.tabs(["Upload", "Draw"], key="compare_source", on_change="rerun")
    inputs = []
    with upload_tab:
        files = st.file_uploader(
            "Your own image, rebuilt by every model (PNG, JPEG, BMP, WebP)",
            type=["png", "jpg", "jpeg", "bmp", "webp"],
            accept_multiple_files=False,
            key="compare_upload",
        )
        if files is not None:
            try:
                prepared = prepared_upload(files.getvalue(), files.name, dataset, tuple(image_shape))
                for note in prepared["notes"]:
                    st.caption(plain(note))
                inputs.append({"name": "your upload", "image": prepared["image"], "evidence": prepared.get("evidence")})
            except AelibError as exc:
                st.error(plain(str(exc)))
    with draw_tab:
        if draw_tab.open:
            draw_digit("compare_canvas", "The Reconstruct page shares it.")
    drawing = drawn_input(dataset, image_shape, name="your drawing")  # the Reconstruct page's canvas too
    if drawing is not None:
        inputs.append(drawing)
    return inputs


@st.cache_data(show_spinner="Measuring every model on noisy test images (once per model)…", max_entries=64)
def _computed(path: str, mtime: float) -> dict:
    checkpoint, bundle = shipped(path)
    return compare.computed_metrics(checkpoint.model, bundle)


def computed(model: Model) -> dict:
    """compare.computed_metrics once per checkpoint (all sessions), or once per session model."""
    if model.entry.own:
        record = user_models()[model.id]
        if "compare_metrics" not in record:
            record["compare_metrics"] = compare.computed_metrics(model.net, model.bundle)
        return record["compare_metrics"]
    path = model.entry.path
    return _computed(path, Path(path).stat().st_mtime)


def show_tile(column, images: np.ndarray, caption: str, n_cols: int | None = None, slots: int | None = None) -> None:
    """Images (N, H, W[, 3]) tiled into one picture in `column`, enlarged by a whole factor to
    about TILE_WIDTH, so that every column's tile of a row has the same size; with `slots`, as wide
    as a tile of that many images across (one image as wide as a 2x2 tile)."""
    picture = compare.strip(images, n_cols)
    across = picture.shape[1] if slots is None else slots * (images.shape[2] + 1) - 1
    factor = max(1, (TILE_WIDTH // across) * across // picture.shape[1])
    smooth = st.session_state.get("_smooth_images", False)
    enlarged = upscale(picture, picture.shape[0] * factor, smooth=smooth)
    # the image's own width: without it, a caption wider than the image would widen the image too
    column.image(image_source(enlarged), caption=caption, width=enlarged.shape[1])


def header(column, model: Model) -> None:
    """The kind above a model's column, in a box of one height so that every column's tiles line
    up even where a long kind name wraps; the model's id shows on hovering the ⓘ."""
    box = column.container(height=78, border=False, gap="xxsmall")
    box.markdown(f"**{model.kind}**")
    box.caption(f"{model.net.config.latent_dim}-D code", help=f"`{model.id}`")


def verdict(column, model: Model, item: dict) -> None:
    """Under a model's rebuild of the user's image: that model's verdict on it, by the same code path
    and wording as the Reconstruct page (labapp.uploads.judged, show_verdict), without the reasons
    (the Reconstruct page gives them). A conditional model is given the class it rebuilds the image
    best with, as in its tile."""
    label = compare.best_labels(model.net, item["image"][None])[0] if model.net.is_conditional else None
    out = judged(model.net, item["image"], model.entry, label, item.get("evidence"))
    show_verdict(out, label_names(model.checkpoint), column, brief=True)
