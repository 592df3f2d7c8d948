"""Generate: move latent sliders (or principal directions), sample, traverse, and see the decoded image."""
import numpy as np
import streamlit as st

from aelib import inference
from aelib.imaging import tile
from aelib.latent import from_principal, informative_dims, manifold_grid, principal_directions, traversal
from app_common import big, bundle_images, choose_model, label_names, require_bundle, setup_page

setup_page("Generate")
entry, checkpoint, bundle = choose_model()
require_bundle(bundle)
model, codes, key = checkpoint.model, bundle["codes"], entry["id"]
latent_dim = codes.shape[1]
if model.is_variational:
    low, high = np.full(latent_dim, -3.5), np.full(latent_dim, 3.5)
else:
    low, high = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
    low, high = np.minimum(low, high - 1e-3), high


def set_code(z: np.ndarray) -> None:
    z = np.clip(np.asarray(z, np.float32), low, high)
    st.session_state[f"base_{key}"] = z
    for d in range(latent_dim):
        st.session_state[f"z_{key}_{d}"] = float(z[d])


if f"base_{key}" not in st.session_state:
    set_code(codes[0])

label = None
names = label_names(checkpoint)
if model.is_conditional:
    label = st.sidebar.selectbox("Class (the cvae's condition)", range(len(names)), format_func=lambda i: names[i])
controls = st.columns(3)
with controls[0]:
    index = st.number_input("Test image", 0, len(codes) - 1, 0, help="index into the bundle's test sample")
    st.button("Start from this test image", on_click=lambda: set_code(codes[index]))
with controls[1]:
    temperature = st.slider("Temperature", 0.1, 2.0, 1.0, 0.1, help="std of the random code")
    seed = st.number_input("Seed", 0, 10_000, 0)
    st.button("Random sample", on_click=lambda: set_code(np.random.default_rng(seed).normal(0, temperature, latent_dim)
                                                          if model.is_variational else
                                                          codes[np.random.default_rng(seed).integers(len(codes))]))
with controls[2]:
    st.image(big(bundle_images(bundle)[index], 110), caption=f"test image {index}")


@st.fragment
def latent_sliders():
    dims = informative_dims(bundle["dim_score"], min(latent_dim, 10))
    left, right = st.columns([3, 2])
    with left:
        st.caption(f"The {len(dims)} most used of {latent_dim} dimensions (by "
                   f"{'KL to the prior' if model.is_variational else 'variance'}); the rest stay fixed.")
        for d in dims:
            st.slider(f"z[{d}]", float(low[d]), float(high[d]), step=0.01, key=f"z_{key}_{d}")
    z = st.session_state[f"base_{key}"].copy()
    z[dims] = [st.session_state[f"z_{key}_{d}"] for d in dims]
    image = inference.decode(model, z, None if label is None else [label])[0]
    st.session_state["generated_image"] = image
    right.image(big(image, 300), caption="decoded")


@st.fragment
def principal_sliders():
    mean, directions, std = principal_directions(codes)
    k = min(latent_dim, 6)
    left, right = st.columns([3, 2])
    with left:
        st.caption("Sliders along the principal directions of the test codes, in standard deviations.")
        amounts = [st.slider(f"PC{i + 1} ({std[i]:.2f} per unit)", -3.0, 3.0, 0.0, 0.05, key=f"pc_{key}_{i}")
                   for i in range(k)]
    image = inference.decode(model, from_principal(mean, directions, std, amounts), None if label is None else [label])[0]
    right.image(big(image, 300), caption="decoded")


@st.fragment
def traversals():
    dims = informative_dims(bundle["dim_score"], latent_dim)
    dim = st.selectbox("Dimension", dims, format_func=lambda d: f"z[{d}]")
    n_steps = st.slider("Steps", 5, 15, 9)
    values = np.linspace(low[dim], high[dim], n_steps)
    frames = inference.decode(model, traversal(st.session_state[f"base_{key}"], dim, values),
                              None if label is None else [label] * n_steps)
    st.image(big(tile(frames, n_cols=n_steps, pad=1), 120), caption=f"z[{dim}] from {values[0]:.2f} to {values[-1]:.2f}")


show_grid = latent_dim == 2 and model.is_variational
tab_names = ["Latent sliders", "Principal directions", "Traversal"] + (["Manifold grid"] if show_grid else [])
tabs = st.tabs(tab_names)
with tabs[0]:
    latent_sliders()
with tabs[1]:
    principal_sliders()
with tabs[2]:
    traversals()
if show_grid:
    with tabs[3]:
        n = st.slider("Grid size", 8, 25, 15)
        grid = inference.decode(model, manifold_grid(n), None if label is None else [label] * n * n)
        st.image(big(tile(grid, n_cols=n, pad=0), 640),
                 caption="Decoded over the inverse normal CDF of an even grid (Kingma & Welling 2014, fig. 4)")
