"""Home: what an autoencoder is, the model to start with, and the gallery of shipped models."""

from pathlib import Path

import streamlit as st

from aelib.io.bundle import Bundle
from aelib.io.site import export_site_zip
from aelib.io.zoo import ModelEntry, metric_lines
from labapp import keys
from labapp.display import image_source, plain
from labapp.frame import PAGE_BY_KEY, link_query, setup_page
from labapp.models import DEFAULT_MODEL, model_entries
from labapp.picker import choose_model
from labapp.warmup import prepare

setup_page("Autoencoder Lab")
intro = st.container()  # written once the active model is known: the text gives its image size

entries, errors = model_entries()
for error in errors:
    st.error(f"Skipped a checkpoint: {plain(error)}", icon="⚠️")  # (the sidebar lists them too)
if not entries:
    st.info("No checkpoints found. Train one with `python -m aelib train` (see the README).")
    st.stop()

image_ids = [e.id for e in entries if e.kind == "image"]
shown = choose_model() if image_ids else None  # the same sidebar picker as every other page
active = shown[0].id if shown else None


def size_words(shape) -> str:
    """An image shape (C, H, W) in words: "the 784 pixels of a 28 x 28 image"."""
    channels, height, width = shape
    if channels == 1:
        return f"the {height * width:,} pixels of a {height} x {width} image"
    return f"the {channels * height * width:,} numbers of a {height} x {width} colour image"


with intro:
    pixels = size_words(shown[1].model.config.image_shape) if shown else "an image's pixels"
    st.markdown(
        "An **autoencoder** squeezes an image through a narrow **latent space** and rebuilds it. "
        f"The **encoder** turns {pixels} into a handful of numbers (the *code*); the **decoder** turns "
        "the code back into pixels. Like a zip file, the code is small, but unlike zip the compression "
        "is *learned* and *lossy*: the network keeps what matters for this kind of image and drops the rest. "
        "A **variational** autoencoder also makes the latent space smooth and roughly Gaussian, so that "
        "you can pick a point anywhere and decode a new, plausible image."
    )
    st.markdown(
        "Pick a model below, then explore its **latent map**, **generate** with sliders, "
        "**interpolate** between images, or use the lab pages to reconstruct your own drawings, "
        "denoise, and flag anomalies."
    )
SECTIONS = {
    "image": ("Image models", "Explore them on every page above."),
    "series": ("Time-series models", "Trained on normal heartbeats only: see **Time series**."),
    "table": ("Tabular models", "Trained on inlier rows only: see **Tabular anomalies**."),
}
EXPLORE = [
    ("latent_map", "See its latent map"),
    ("generate", "Generate with sliders"),
    ("interpolate", "Interpolate"),
    ("reconstruct", "Reconstruct your own image"),
]


def use_model(model_id: str) -> None:
    st.session_state[keys.ACTIVE_MODEL] = st.session_state[keys.URL_MODEL] = model_id
    st.query_params["model"] = model_id


def start_here(entry: ModelEntry) -> None:
    """The active model (MNIST's conv VAE for a newcomer) first, with the way into each page."""
    with st.container(border=True):
        left, right = st.columns([3, 2])
        with left:
            st.subheader(f"{'Start here' if entry.id == DEFAULT_MODEL else 'Active model'}: {entry.id}")
            st.caption(describe_entry(entry))
            grid = Path(entry.path).with_suffix(".png")
            if grid.exists():
                caption = "test images, their reconstructions and (for VAEs) new samples"
                st.image(image_source(grid), width="stretch", caption=caption)
        with right:
            for line in metric_lines(entry):
                st.markdown(f"- {line}")
            for key, label in EXPLORE:
                page = PAGE_BY_KEY[key]
                st.page_link(page.path, label=label, icon=page.icon, query_params=link_query(key))
            if shown and shown[0].id == entry.id and shown[2].codes is not None:
                web_demo_button(entry, *shown[1:])


def web_demo_button(entry: ModelEntry, checkpoint, bundle: Bundle) -> None:
    """The explorer of this model as a static site (aelib.io.site), built only when clicked."""
    st.download_button(
        "Download as a web demo (.zip)",
        data=lambda: export_site_zip([(entry.id, checkpoint, bundle)]),
        file_name=f"{entry.id}_web_demo.zip",
        mime="application/zip",
        icon=":material/download:",
        help="Generate, Latent map and Interpolate for this model as a folder of files that runs in any "
        "browser, with no Python: unzip it and serve it with `python -m http.server` or GitHub Pages.",
        on_click="ignore",
    )


def describe_entry(entry: ModelEntry) -> str:
    extras = [f"denoising {entry.denoise}"] if entry.denoise else []
    if entry.keep_classes:
        extras.append(f"trained on class {entry.keep_classes} only")
    return f"{entry.model} on {entry.dataset}, {entry.latent_dim}-D latent, {entry.epochs} epochs" + (
        ", " + ", ".join(extras) if extras else ""
    )


def gallery_card(entry: ModelEntry) -> None:
    st.markdown(f"**{entry.id}**" + ("  :material/check_circle: active" if entry.id == active else ""))
    st.caption(describe_entry(entry))
    grid = Path(entry.path).with_suffix(".png")
    if grid.exists():
        st.image(image_source(grid), width="stretch")
    lines = metric_lines(entry)
    if lines:
        st.caption("  \n".join(lines))
    if entry.kind == "image":
        st.button(
            "Use this model",
            key=f"use_{entry.id}",
            disabled=entry.id == active,
            on_click=use_model,
            args=(entry.id,),
        )


if active:
    start_here(next(e for e in entries if e.id == active))
for kind, (title, blurb) in SECTIONS.items():
    group = [e for e in entries if e.kind == kind]
    if not group:
        continue
    st.subheader(f"{title} ({len(group)})")
    st.caption(blurb)
    columns = st.columns(3)
    for i, entry in enumerate(group):
        with columns[i % 3].container(border=True):
            gallery_card(entry)
if shown and not shown[0].own:  # (a session's own model lives in its session, not here)
    prepare(shown[0])  # the next click's decoder and verdict reference, made while the visitor reads
