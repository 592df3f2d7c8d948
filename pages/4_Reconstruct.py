"""Reconstruct: upload or draw an image and watch the model rebuild it."""

import numpy as np
import streamlit as st

from aelib import AelibError
from aelib.explore import inference
from aelib.explore.figures import add_marker, code_bars, latent_scatter
from aelib.explore.lab import explain_reconstruction
from aelib.preprocess.faces import manual_box
from aelib.preprocess.imaging import error_colours, stored_to_display, thumbnail, tile
from labapp.directions import directions_of, edit_along
from labapp.display import label_names, plain, show, show_images
from labapp.frame import setup_page
from labapp.models import typicality_reference
from labapp.picker import choose_model
from labapp.uploads import draw_digit, drawn_input, prepared_upload, show_verdict

setup_page("Reconstruct")
entry, checkpoint, bundle = choose_model()
model, shape, dataset = checkpoint.model, checkpoint.model.config.image_shape, entry.dataset
names = label_names(checkpoint)
label = None
if model.is_conditional:
    label = st.sidebar.selectbox("Class given to the cvae", range(len(names)), format_func=lambda i: names[i])

# on_change="rerun" makes the tabs lazy: the canvas component (whose serialisation imports pandas,
# about 60 MiB) is mounted only while its tab is open; the drawing itself is kept in session state.
upload_tab, draw_tab, test_tab = st.tabs(["Upload", "Draw", "Test image"], key="reconstruct_source", on_change="rerun")
inputs = []  # dicts: name, gray, image, notes, steps (what inference.prepare_upload returns)


def face_crop_by_hand(n: int, upload, prepared: dict) -> dict:
    """For face models: a manual crop, when the user asks for one (off by default also when no face
    was found: a crop the user never set must not turn "no face found" into a face)."""
    if not st.toggle(f"Set the face crop by hand: {plain(upload.name)}", value=False, key=f"manual_{n}"):
        return prepared
    (top, left, height, width), (rows, cols_) = prepared["face_box"], prepared["work_shape"]
    start = (top + height / 2) / rows, (left + width / 2) / cols_, min(rows, cols_) / (1.4 * max(height, 1))
    cols = st.columns(3)  # the sliders start at the detected (or central) box
    centre = (
        cols[0].slider("Centre, down", 0.0, 1.0, float(np.clip(start[0], 0, 1)), 0.01, key=f"cy_{n}"),
        cols[1].slider("Centre, across", 0.0, 1.0, float(np.clip(start[1], 0, 1)), 0.01, key=f"cx_{n}"),
    )
    zoom = cols[2].slider("Zoom", 0.5, 6.0, float(np.clip(round(start[2], 1), 0.5, 6.0)), 0.1, key=f"zoom_{n}")
    box = manual_box(prepared["work_shape"], centre, zoom)
    return prepared_upload(upload.getvalue(), upload.name, dataset, tuple(shape), face_box=box)


with upload_tab:
    files = st.file_uploader(
        "Images (PNG, JPEG, BMP, WebP; any size)",
        type=["png", "jpg", "jpeg", "bmp", "webp"],
        accept_multiple_files=True,
    )
    for n, upload in enumerate(files or []):
        try:
            prepared = prepared_upload(upload.getvalue(), upload.name, dataset, tuple(shape))
            if inference.PREPARATION.get(dataset, "face") == "face":
                prepared = face_crop_by_hand(n, upload, prepared)
            inputs.append(prepared)
        except AelibError as exc:
            st.error(plain(str(exc)))
with draw_tab:
    if draw_tab.open:
        draw_digit("canvas")
    drawing = drawn_input(dataset, tuple(shape))
    if drawing is not None:
        inputs.append(drawing)
with test_tab:
    # a test image only on request once the user has given something, even if it failed to load; never
    # while the Draw tab waits for a drawing (its verdict would read as the verdict on the empty canvas)
    waiting_for_drawing = draw_tab.open and drawing is None
    if (
        bundle.images is not None
        and st.toggle("Use a test image", value=not files and drawing is None)
        and not waiting_for_drawing
    ):
        index = st.number_input("Test image index", 0, len(bundle.images) - 1, 0)
        image = stored_to_display(bundle.images, index)
        own = int(bundle.labels[index]) if model.is_conditional and bundle.labels is not None else None
        inputs.append(
            {"name": f"test image {index}", "gray": image, "image": image, "steps": [], "notes": [], "label": own}
        )

if not inputs:
    if waiting_for_drawing:
        st.info("Draw in the square above: the model's reconstruction of your drawing and its verdict appear here.")
    else:
        st.info("Upload an image, draw one, or pick a test image.")
    st.stop()


def show_result(n: int, item: dict) -> None:
    given = item.get("label") if item.get("label") is not None else label  # a test image has its own class
    out = explain_reconstruction(
        model, item["image"], bundle, label=given, reference=typicality_reference(entry), evidence=item.get("evidence")
    )
    st.subheader(plain(item["name"]))
    for note in item["notes"]:
        st.caption(plain(note))
    show_verdict(out, names)
    if item["steps"]:
        st.caption("What the model was given, step by step:")
        show_images(
            [thumbnail(step, 130) for _, step in item["steps"]],
            [label for label, _ in item["steps"]],
            height=130,
            n_cols=max(6, len(item["steps"])),
        )
    cols = st.columns(4)
    show(cols[0], thumbnail(item["gray"], 150), None, caption="input")
    show(cols[1], item["image"], 150, caption="model input")
    show(cols[2], out["recon"], 150, caption=f"reconstruction · MSE {out['mse']:.4f}")
    # an image, not a chart: a Plotly heatmap here held the first screen's paint for 0.4-0.7 s (#30)
    errors = out["error_map"]
    show(cols[3], error_colours(errors), 150, caption=f"squared error, 0 (black) to {errors.max():.3f} (yellow)")
    edit_along(model, directions_of(entry, checkpoint, bundle), out["code"], given, key=f"edit_{n}")  # issue #25
    left, right = st.columns([2, 3])  # the map gets the wider column, its legend a row of its own
    with left:
        st.plotly_chart(code_bars(out["code"]), key=f"code_{n}")
        if "map_xy" in out:
            nearest = tile(stored_to_display(bundle.images, out["nearest"]), n_cols=len(out["nearest"]), pad=4)
            show(st, nearest, 70, caption="its nearest test images in latent space")
    if "map_xy" in out:
        fig = latent_scatter(
            bundle.pca, bundle.labels, names, title="where it lands (PCA map)", height=520, legend_below=True
        )
        add_marker(fig, out["map_xy"], "this image")
        right.plotly_chart(fig, key=f"map_{n}")
    c = out["compression"]
    st.markdown(
        f"**The zip-file analogy.** The image is {c['image_bytes']} bytes of 8-bit pixels; its code is "
        f"{c['code_bytes']} bytes ({len(out['code'])} float32 numbers): **{c['ratio']:.0f}× smaller**. "
        f"The best JPEG we could make near that budget is {c['jpeg_bytes']} bytes (quality {c['jpeg_quality']}) "
        f"with MSE {c['jpeg_mse']:.4f}, against the autoencoder's {out['mse']:.4f}."
    )
    show_images(
        [item["image"], out["recon"], c["jpeg"]],
        ["original", f"autoencoder ({c['code_bytes']} B)", f"JPEG ({c['jpeg_bytes']} B)"],
        height=110,
        n_cols=6,
    )
    st.divider()


for n, item in enumerate(inputs):
    show_result(n, item)
