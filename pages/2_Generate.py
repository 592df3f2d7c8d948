"""Generate: move latent sliders (or principal directions), sample, traverse, and see the decoded image.

Every control reads and writes one code per model, `st.session_state[code_{model}]`: it survives
navigation (widget state does not), and the sliders, principal directions and traversal all show it.
"""

import numpy as np
import streamlit as st

from aelib import inference
from aelib.imaging import tile
from aelib.latent import informative_dims, manifold_grid, principal_directions, set_principal, to_principal, traversal
from app_common import big, bundle_images, choose_model, label_names, setup_page

setup_page("Generate")
entry, checkpoint, bundle = choose_model(need_codes=True)
model, codes, key = checkpoint.model, bundle["codes"], entry["id"]
latent_dim = codes.shape[1]
if model.is_variational:
    low, high = np.full(latent_dim, -3.5), np.full(latent_dim, 3.5)
else:
    low, high = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
    low, high = np.minimum(low, high - 1e-3), high
CODE = f"code_{key}"
PC_RANGE = 3.0
mean, directions, std = principal_directions(codes)
n_pcs = min(latent_dim, 6)
slider_dims = informative_dims(bundle["dim_score"], min(latent_dim, 10))


def set_code(z: np.ndarray) -> None:
    st.session_state[CODE] = np.clip(np.asarray(z, np.float32), low, high)


def dim_moved(d: int) -> None:
    st.session_state[CODE][d] = st.session_state[f"z_{key}_{d}"]


def pc_moved(i: int) -> None:
    set_code(set_principal(mean, directions, std, st.session_state[CODE], i, st.session_state[f"pc_{key}_{i}"]))


def sync_widgets() -> None:
    """Widgets show the shared code (their own state is lost when the user leaves the page)."""
    code = st.session_state[CODE]
    for d in slider_dims:
        st.session_state[f"z_{key}_{d}"] = float(np.clip(code[d], low[d], high[d]))
    amounts = to_principal(mean, directions, std, code, n_pcs)
    for i in range(n_pcs):
        st.session_state[f"pc_{key}_{i}"] = float(np.clip(round(amounts[i] / 0.05) * 0.05, -PC_RANGE, PC_RANGE))


if CODE not in st.session_state:
    set_code(codes[0])

label = None
names = label_names(checkpoint)
if model.is_conditional:
    label = st.sidebar.selectbox("Class (the cvae's condition)", range(len(names)), format_func=lambda i: names[i])
labels_for = (lambda n: None) if label is None else (lambda n: [label] * n)
controls = st.columns(3)
with controls[0]:
    index = st.number_input("Test image", 0, len(codes) - 1, 0, help="index into the bundle's test sample")
    st.button("Start from this test image", on_click=lambda: set_code(codes[index]))
with controls[1]:
    temperature = st.slider("Temperature", 0.1, 2.0, 1.0, 0.1, help="std of the random code")
    seed = st.number_input("Seed", 0, 10_000, 0)
    st.button(
        "Random sample",
        on_click=lambda: set_code(
            np.random.default_rng(seed).normal(0, temperature, latent_dim)
            if model.is_variational
            else codes[np.random.default_rng(seed).integers(len(codes))]
        ),
    )
with controls[2]:
    st.image(big(bundle_images(bundle)[index], 110), caption=f"test image {index}")


def latent_sliders(image) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.caption(
            f"The {len(slider_dims)} most used of {latent_dim} dimensions (by "
            f"{'KL to the prior' if model.is_variational else 'variance'}); the rest stay fixed."
        )
        for d in slider_dims:
            st.slider(
                f"z[{d}]", float(low[d]), float(high[d]), step=0.01, key=f"z_{key}_{d}", on_change=dim_moved, args=(d,)
            )
    right.image(big(image, 300), caption="decoded")


def principal_sliders(image) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.caption(
            "The same code, seen along the principal directions of the test codes, in standard "
            "deviations from their mean."
        )
        for i in range(n_pcs):
            st.slider(
                f"PC{i + 1} ({std[i]:.2f} per unit)",
                -PC_RANGE,
                PC_RANGE,
                step=0.05,
                key=f"pc_{key}_{i}",
                on_change=pc_moved,
                args=(i,),
            )
    right.image(big(image, 300), caption="decoded")


def traversals() -> None:
    dims = [int(d) for d in informative_dims(bundle["dim_score"], latent_dim)]  # a list: no pandas import
    dim = st.selectbox("Dimension", dims, format_func=lambda d: f"z[{d}]", key=f"trav_dim_{key}")
    n_steps = st.slider("Steps", 5, 15, 9)
    values = np.linspace(low[dim], high[dim], n_steps)
    frames = inference.decode(model, traversal(st.session_state[CODE], dim, values), labels_for(n_steps))
    st.image(
        big(tile(frames, n_cols=n_steps, pad=1), 120),
        caption=f"the current code with z[{dim}] from {values[0]:.2f} to {values[-1]:.2f}",
    )


@st.fragment
def generator() -> None:
    """Only this part reruns when a slider moves; every tab reads the one shared code."""
    sync_widgets()
    image = inference.decode(model, st.session_state[CODE], labels_for(1))[0]
    show_grid = latent_dim == 2 and model.is_variational
    tabs = st.tabs(["Latent sliders", "Principal directions", "Traversal"] + (["Manifold grid"] if show_grid else []))
    with tabs[0]:
        latent_sliders(image)
    with tabs[1]:
        principal_sliders(image)
    with tabs[2]:
        traversals()
    if show_grid:
        with tabs[3]:
            n = st.slider("Grid size", 8, 25, 15)
            grid = inference.decode(model, manifold_grid(n), labels_for(n * n))
            st.image(
                big(tile(grid, n_cols=n, pad=0), 640),
                caption="Decoded over the inverse normal CDF of an even grid (Kingma & Welling 2014, fig. 4)",
            )


generator()
