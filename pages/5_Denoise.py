"""Denoise: corrupt an image, then clean it with a denoising AE, a plain AE and classical filters."""

import streamlit as st

from aelib import AelibError
from aelib.explore import inference
from aelib.explore.lab import comparison_table, denoise_comparison
from aelib.preprocess.imaging import stored_to_display
from aelib.training.noise import NOISE_KINDS
from labapp.display import plain, show_images
from labapp.frame import setup_page
from labapp.models import get_checkpoint, model_entries
from labapp.picker import choose_model
from labapp.uploads import upload_verdict

setup_page("Denoise")
entry, checkpoint, bundle = choose_model(
    need=lambda e: bool(e.denoise), need_text="it needs a model trained with --denoise"
)
entries, _ = model_entries()
plain_aes = [
    e
    for e in entries
    if e.dataset == entry.dataset and not e.denoise and not e.keep_classes and e.model in ("ae", "conv_ae")
]
plain_aes.sort(key=lambda e: e.model != entry.model)  # same architecture first: the fairest comparison
# Short names under the 130-px images (a model id there wraps inside the word); the ids go in a caption.
models = {"denoising AE": checkpoint.model}
if plain_aes:
    plain_entry = st.sidebar.selectbox("Plain AE to compare", plain_aes, format_func=lambda e: e.id)
    models["plain AE"] = get_checkpoint(plain_entry).model
    st.caption(f"denoising AE: `{entry.id}` · plain AE: `{plain_entry.id}`")
else:
    st.caption("No plain autoencoder for this dataset is shipped, so only the denoising AE is compared.")

cols = st.columns(4)
kind = cols[0].selectbox("Noise", NOISE_KINDS, format_func=lambda k: k.replace("_", " "))
level = cols[1].slider(
    "Level",
    0.05,
    1.0 if kind == "gaussian" else 0.9,
    0.5 if kind == "gaussian" else 0.3,
    0.05,
    help="std for gaussian; fraction of pixels hit for salt & pepper and masking",
)
seed = cols[2].number_input("Noise seed", 0, 10_000, 0)
source = cols[3].radio("Image", ["Test image", "Upload"])
if source == "Test image":
    index = st.number_input("Test image", 0, len(bundle.images) - 1, 0) if bundle.images is not None else 0
    clean = stored_to_display(bundle.images, index)
else:
    upload = st.file_uploader("Image", type=["png", "jpg", "jpeg", "bmp", "webp"])
    if upload is None:
        st.info("Upload an image.")
        st.stop()
    try:
        prepared = inference.prepare_upload(
            upload.getvalue(), upload.name, entry.dataset, checkpoint.model.config.image_shape
        )
        clean = prepared["image"]
    except AelibError as exc:
        st.error(plain(str(exc)))
        st.stop()
    upload_verdict(checkpoint.model, clean, entry, evidence=prepared.get("evidence"))

rows = denoise_comparison(clean, kind, level, models, seed=int(seed))
show_images([r["image"] for r in rows], [r["name"] for r in rows], height=130, n_cols=len(rows))
st.markdown(comparison_table(rows[1:]))  # markdown, not a dataframe: pandas costs the server ~60 MiB
st.caption(
    "PSNR = 10·log10(1/MSE) against the clean image; SSIM from scikit-image (Wang et al. 2004). "
    "Higher is better for both."
)
