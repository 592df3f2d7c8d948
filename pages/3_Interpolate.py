"""Interpolate: walk the latent space between two images and watch one morph into the other: scrub t
live (decoded in the browser), or see the whole path as a strip and a GIF."""

import numpy as np
import streamlit as st

from aelib import AelibError
from aelib.explore import inference
from aelib.explore.figures import add_path, latent_scatter
from aelib.explore.latent import interpolate
from aelib.preprocess.imaging import gif_bytes, stored_to_display
from labapp import keys
from labapp.display import plain, show, show_images
from labapp.live import live_failed
from labapp.models import decoder_url
from labapp.picker import explorer_page
from labapp.uploads import prepared_upload, upload_verdict
from latent_control import live_interpolate

entry, checkpoint, bundle, model, codes, key, labels, names = explorer_page("Interpolate")


def endpoint(column, side: str, default_index: int):
    """Widgets for one end; returns (code, image shown, label or None)."""
    with column:
        st.markdown(f"**{side}**")
        source = st.radio("Source", ["Test image", "Random", "Upload"], horizontal=True, key=f"src_{side}")
        if source == "Test image":
            if labels is not None and names:
                present = [int(c) for c in np.unique(labels)]  # only classes the sample holds
                cls = st.selectbox(
                    "Class",
                    present,
                    index=default_index % len(present),
                    format_func=lambda i: names[i] if i < len(names) else str(i),
                    key=f"cls_{side}",
                )
                candidates = np.flatnonzero(labels == cls)
                nth = st.number_input("Which one", 0, len(candidates) - 1, 0, key=f"nth_{side}")
                index = int(candidates[nth])
            else:
                index = st.number_input("Index", 0, len(codes) - 1, default_index, key=f"idx_{side}")
            return codes[index], stored_to_display(bundle.images, index), None if labels is None else int(labels[index])
        if source == "Random":
            seed = st.number_input("Seed", 0, 10_000, default_index, key=f"seed_{side}")
            rng = np.random.default_rng(seed)
            code = (
                rng.normal(size=codes.shape[1]).astype(np.float32)
                if model.is_variational
                else codes[rng.integers(len(codes))]
            )
            label = int(rng.integers(len(names))) if model.is_conditional else None
            return code, inference.decode(model, code, None if label is None else [label])[0], label
        upload = st.file_uploader("Image", type=["png", "jpg", "jpeg", "bmp", "webp"], key=f"up_{side}")
        if upload is None:
            st.info("Upload an image to use as this end.")
            st.stop()
        try:
            prepared = prepared_upload(
                upload.getvalue(), upload.name, entry.dataset, tuple(checkpoint.model.config.image_shape)
            )
        except AelibError as exc:
            st.error(plain(str(exc)))
            st.stop()
        label = 0 if model.is_conditional else None
        upload_verdict(model, prepared["image"], entry, label, prepared.get("evidence"))
        return (
            inference.encode(model, prepared["image"][None], None if label is None else [label])[0],
            prepared["image"],
            label,
        )


left, right = st.columns(2)
z_start, start_image, start_label = endpoint(left, "Start", 0)
z_end, end_image, end_label = endpoint(right, "End", 1)
show(left, start_image, 120)
show(right, end_image, 120)

method = st.radio(
    "Path",
    ["linear", "spherical"],
    horizontal=True,
    help="Spherical (slerp) keeps the code's norm typical of the Gaussian prior",
)
url = decoder_url(entry)
if url is not None:
    value = live_interpolate(
        model,
        url,
        z0=z_start,
        z1=z_end,
        method=method,
        labels=(start_label or 0, end_label or 0) if model.is_conditional else None,
        key=f"live_interpolate_{key}",
        smooth=st.session_state.get(keys.SMOOTH_IMAGES, False),
    )
    live_failed(value)  # the strip below is decoded on the server either way
n_steps = st.slider("Steps", 3, 16, 10)
path = interpolate(z_start, z_end, n_steps, method)
path_labels = None
if model.is_conditional:
    path_labels = np.where(np.arange(n_steps) < n_steps / 2, start_label or 0, end_label or 0)
frames = inference.decode(model, path, path_labels)
show_images(frames, [f"t={t:.2f}" for t in np.linspace(0, 1, n_steps)], height=90, n_cols=n_steps)
st.download_button("Download animated GIF", gif_bytes(frames), file_name=f"{key}_interpolation.gif", mime="image/gif")

fig = latent_scatter(bundle.pca, labels, names, title="The path on the PCA map of the test codes", height=460)
st.plotly_chart(add_path(fig, bundle.plane.transform(path)))
