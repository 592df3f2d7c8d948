"""Autoencoder Lab, `streamlit run app.py`. This is the home page: what an autoencoder is, and the
gallery of shipped models. The other pages live in pages/ (Streamlit's multipage layout)."""
from pathlib import Path

import streamlit as st

from aelib.zoo import KEY_METRICS
from app_common import model_entries, setup_page

setup_page("Autoencoder Lab")
st.markdown(
    "An **autoencoder** squeezes an image through a narrow **latent space** and rebuilds it. "
    "The **encoder** turns 784 pixels into a handful of numbers (the *code*); the **decoder** turns "
    "the code back into pixels. Like a zip file, the code is small, but unlike zip the compression "
    "is *learned* and *lossy*: the network keeps what matters for this kind of image and drops the rest. "
    "A **variational** autoencoder also makes the latent space smooth and roughly Gaussian, so that "
    "you can pick a point anywhere and decode a new, plausible image.")
st.markdown("Pick a model below, then explore its **latent map**, **generate** with sliders, "
            "**interpolate** between images, or use the lab pages to reconstruct your own drawings, "
            "denoise, and flag anomalies.")

entries, errors = model_entries()
for error in errors:
    st.error(f"Skipped a checkpoint: {error}")
if not entries:
    st.info("No checkpoints found. Train one with `python -m aelib train` (see the README).")
    st.stop()

active = st.query_params.get("model") or st.session_state.get("active_model")
SECTIONS = {"image": ("Image models", "Explore them on every page above."),
            "series": ("Time-series models", "Trained on normal heartbeats only: see **Time series**."),
            "table": ("Tabular models", "Trained on inlier rows only: see **Tabular anomalies**.")}


def gallery_card(entry: dict) -> None:
    st.markdown(f"**{entry['id']}**" + ("  :material/check_circle: active" if entry["id"] == active else ""))
    extras = [f"denoising {entry['denoise']}"] if entry.get("denoise") else []
    if entry.get("keep_classes"):
        extras.append(f"trained on class {entry['keep_classes']} only")
    st.caption(f"`{entry['model']}` on {entry['dataset']}, {entry['latent_dim']}-D latent, "
               f"{entry['epochs']} epochs" + (", " + ", ".join(extras) if extras else ""))
    grid = Path(entry["path"]).with_suffix(".png")
    if grid.exists():
        st.image(str(grid), width="stretch")
    shown = {k: f"{entry[k]:.4g}" for k in KEY_METRICS if k in entry}
    if shown:
        st.caption(" · ".join(f"{k} {v}" for k, v in shown.items()))
    if entry.get("kind", "image") == "image" and st.button(
            "Use this model", key=f"use_{entry['id']}", disabled=entry["id"] == active):
        st.session_state["active_model"] = entry["id"]
        st.query_params["model"] = entry["id"]
        st.rerun()


for kind, (title, blurb) in SECTIONS.items():
    group = [e for e in entries if e.get("kind", "image") == kind]
    if not group:
        continue
    st.subheader(f"{title} ({len(group)})")
    st.caption(blurb)
    columns = st.columns(3)
    for i, entry in enumerate(group):
        with columns[i % 3].container(border=True):
            gallery_card(entry)
