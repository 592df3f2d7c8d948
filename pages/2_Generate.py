"""Generate: move latent sliders (or principal directions), sample, traverse, and see the decoded image.

Every control reads and writes one code per model, `st.session_state[code_{model}]`: it survives
navigation (widget state does not), and the live (in-browser) controls, the server-side sliders,
principal directions and traversal all show it. The URL carries it (`?model=...&z=...`), so a link
reproduces the image.
"""

import numpy as np
import streamlit as st

from aelib.explore import inference
from aelib.explore.directions import slider_args
from aelib.explore.latent import (
    code_bounds,
    code_from_text,
    index_from_text,
    informative_dims,
    manifold_grid,
    traversal,
)
from aelib.preprocess.imaging import stored_to_display, tile
from labapp import keys
from labapp.directions import define_section, directions_of, version
from labapp.display import big, plain, show
from labapp.frame import code_state, generate_query
from labapp.keys import code_keys
from labapp.live import live_failed, new_release, principal_axes_of, set_current_code
from labapp.models import decoder_url
from labapp.picker import explorer_page
from latent_control import live_generate

entry, checkpoint, bundle, model, codes, key, labels, names = explorer_page("Generate")
latent_dim = codes.shape[1]
low, high = code_bounds(codes, model.is_variational)
CODE, REVISION, LABEL = code_keys(key)
PC_RANGE = 3.0
axes = principal_axes_of(codes)
n_pcs = min(latent_dim, 6)
slider_dims = informative_dims(bundle.dim_score, min(latent_dim, 10))


def set_code(z: np.ndarray, from_browser: bool = False) -> None:
    z = np.clip(np.asarray(z, np.float32), low, high)
    if from_browser:  # the browser already shows it
        st.session_state[CODE] = z
    else:  # a new revision: the browser takes over a code the server moved
        set_current_code(key, z)


def dim_moved(d: int) -> None:
    st.session_state[CODE][d] = st.session_state[f"z_{key}_{d}"]


def pc_moved(i: int) -> None:
    set_code(axes.set_principal(st.session_state[CODE], i, st.session_state[f"pc_{key}_{i}"]))


def sync_widgets() -> None:
    """Widgets show the shared code (their own state is lost when the user leaves the page)."""
    code = st.session_state[CODE]
    for d in slider_dims:
        st.session_state[f"z_{key}_{d}"] = float(np.clip(code[d], low[d], high[d]))
    amounts = axes.to_principal(code, n_pcs)
    for i in range(n_pcs):
        st.session_state[f"pc_{key}_{i}"] = float(np.clip(round(amounts[i] / 0.05) * 0.05, -PC_RANGE, PC_RANGE))


def follow_link() -> None:
    """A shared link (`?z=...`) sets the code once; a broken one is named and ignored. An address
    without a code stands for the code the page started from (so Back to it restores that code)."""
    start = st.session_state.get(START)
    text = st.query_params.get("z") or (start[0] if start else None)
    if not text or st.session_state.get(keys.LINK_CODE) == (key, text):
        return
    st.session_state[keys.LINK_CODE] = (key, text)
    try:
        set_code(code_from_text(text, latent_dim))
    except ValueError as exc:
        st.warning(f"The link's code was not used: {plain(str(exc))}.")
    label_text = st.query_params.get("label") if "z" in st.query_params else (start[1] if start else None)
    if model.is_conditional and label_text is not None:
        label = index_from_text(label_text, model.config.n_classes)
        if label is None:
            st.warning(f"The link's class was not used: it must be a number from 0 to {model.config.n_classes - 1}.")
        else:
            st.session_state[LABEL] = label


def start_from(index: int) -> None:
    """A test image's code, and for the cvae its true class, so the image matches the thumbnail."""
    set_code(codes[index])
    if model.is_conditional and labels is not None:
        st.session_state[LABEL] = int(labels[index])


START = keys.start_code(key)
if CODE not in st.session_state:
    start_from(0)
    st.session_state[START] = code_state(key)
set_code(st.session_state[CODE], from_browser=True)  # a code another page set (a map spot) is clipped too
follow_link()


def current_label() -> int | None:
    return st.session_state.setdefault(LABEL, 0) if model.is_conditional else None


def labels_for(n: int):
    return None if current_label() is None else [current_label()] * n


controls = st.columns(3)
with controls[0]:
    index = st.number_input("Test image", 0, len(codes) - 1, 0, help="index into the bundle's test sample")
    st.button("Start from this test image", on_click=start_from, args=(index,))
SEED, TEMPERATURE, MAX_SEED = f"seed_{key}", f"temperature_{key}", 10_000


def sample_seed() -> None:
    """The code the seed field names: a draw from the prior at the temperature (VAEs), else a
    random test code. Typing a seed makes its sample again."""
    rng = np.random.default_rng(st.session_state[SEED])
    temperature = st.session_state.get(TEMPERATURE, 1.0)
    set_code(rng.normal(0, temperature, latent_dim) if model.is_variational else codes[rng.integers(len(codes))])


def random_sample() -> None:
    """Each click a new seed (never the one shown), written into the seed field, then its sample."""
    step = int(np.random.default_rng().integers(1, MAX_SEED + 1))
    st.session_state[SEED] = (st.session_state.get(SEED, 0) + step) % (MAX_SEED + 1)
    sample_seed()


with controls[1]:
    st.slider("Temperature", 0.1, 2.0, 1.0, 0.1, key=TEMPERATURE, help="std of the random code")
    st.session_state.setdefault(SEED, 0)  # (no default value: a click writes the field)
    st.number_input("Seed", 0, MAX_SEED, key=SEED, on_change=sample_seed, help="the seed of the sample shown")
    st.button("Random sample", on_click=random_sample, help="a new seed each click")
with controls[2]:
    show(st, stored_to_display(bundle.images, index), 110, caption=f"test image {index}")


def latent_sliders(image) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.caption(
            (
                f"All {latent_dim} dimensions, the most used first (by "
                if len(slider_dims) == latent_dim
                else f"The {len(slider_dims)} most used of {latent_dim} dimensions (by "
            )
            + f"{'KL to the prior' if model.is_variational else 'variance'})"
            + ("" if len(slider_dims) == latent_dim else "; the rest stay fixed.")
        )
        for d in slider_dims:
            st.slider(
                f"z[{d}]", float(low[d]), float(high[d]), step=0.01, key=f"z_{key}_{d}", on_change=dim_moved, args=(d,)
            )
    show(right, image, 300, caption="decoded")


def principal_sliders(image) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.caption(
            "The same code, seen along the principal directions of the test codes, in standard "
            "deviations from their mean."
        )
        for i in range(n_pcs):
            st.slider(
                f"PC{i + 1} ({axes.std[i]:.2f} per unit)",
                -PC_RANGE,
                PC_RANGE,
                step=0.05,
                key=f"pc_{key}_{i}",
                on_change=pc_moved,
                args=(i,),
            )
    show(right, image, 300, caption="decoded")


def traversals() -> None:
    dims = [int(d) for d in informative_dims(bundle.dim_score, latent_dim)]  # a list: no pandas import
    dim = st.selectbox("Dimension", dims, format_func=lambda d: f"z[{d}]", key=f"trav_dim_{key}")
    n_steps = st.slider("Steps", 5, 15, 9)
    values = np.linspace(low[dim], high[dim], n_steps)
    frames = inference.decode(model, traversal(st.session_state[CODE], dim, values), labels_for(n_steps))
    st.image(
        big(tile(frames, n_cols=n_steps, pad=1), 120),
        caption=f"the current code with z[{dim}] from {values[0]:.2f} to {values[-1]:.2f}",
    )


def decoded() -> np.ndarray:
    return inference.decode(model, st.session_state[CODE], labels_for(1))[0]


def live_controls(image: np.ndarray) -> bool:
    """Sliders and a 2-D pad decoded in the browser; `image` (the current code's) shows until the
    browser's first decode. True when the user let go and so moved the code."""
    url = decoder_url(entry)
    if url is None:
        return False
    st.caption(
        "Drag a slider or the point on the pad: the image is decoded in your browser as you move. "
        "The other tabs and pages get the code when you let go."
    )
    live_key = f"live_{key}" + (f"_{version(key)}" if version(key) else "")  # new sliders: a new panel
    value = live_generate(
        model,
        url,
        code=st.session_state[CODE],
        label=current_label(),
        class_names=names,
        bounds=(low, high),
        dims=slider_dims,
        pcs=(axes.first(n_pcs), PC_RANGE),
        revision=st.session_state.get(REVISION, 0),
        preview=image,
        key=live_key,
        smooth=st.session_state.get(keys.SMOOTH_IMAGES, False),
        attributes=slider_args(directions_of(entry, checkpoint, bundle)),
    )
    if live_failed(value):
        st.caption("Use the server-side tabs: Latent sliders, Principal directions, Traversal.")
        return False
    if release := new_release(value, live_key):
        set_code(release["code"], from_browser=True)
        if model.is_conditional and release.get("label") is not None:
            st.session_state[LABEL] = int(release["label"])
    return release is not None


def class_picker() -> None:
    """The cvae's condition; it shares the session's label with the live controls."""
    widget = f"label_widget_{key}"
    st.session_state[widget] = current_label()

    def picked() -> None:
        st.session_state[LABEL] = st.session_state[widget]
        st.session_state[REVISION] = st.session_state.get(REVISION, 0) + 1

    st.selectbox(
        "Class (the cvae's condition)", range(len(names)), format_func=lambda i: names[i], key=widget, on_change=picked
    )


@st.fragment
def generator() -> None:
    """Only this part reruns when a control moves; every tab reads the one shared code."""
    show_grid = latent_dim == 2 and model.is_variational
    picker_slot = st.container()  # above the tabs, filled once the live controls' release is in
    # Only the open tab is drawn (a rerun costs what the user sees); opening another reruns this fragment.
    tabs = st.tabs(
        ["Live (in your browser)", "Latent sliders", "Principal directions", "Traversal"]
        + (["Manifold grid"] if show_grid else [])
        + ["Attribute directions"],
        key=keys.GENERATE_TAB,
        on_change="rerun",
    )
    image = decoded()  # one decode for the live preview and the server-side tabs
    if tabs[0].open:
        with tabs[0]:
            if live_controls(image):  # the user let go: the code moved
                image = decoded()
    if model.is_conditional:
        with picker_slot:
            class_picker()
    sync_widgets()
    for tab, draw in [(tabs[1], latent_sliders), (tabs[2], principal_sliders), (tabs[3], lambda _: traversals())]:
        if tab.open:
            with tab:
                draw(image)
    if tabs[-1].open:
        with tabs[-1]:  # issue #25: define a direction (it joins the live sliders), see how far to trust each
            define_section(entry, checkpoint, bundle, names, st.session_state[CODE], current_label())
    # The address bar always reproduces this image (without a code while it is the starting one);
    # written only when it changes, since each write is a browser history entry (Back restores it).
    current_label()
    text, label_text = code_state(key)
    whole = {"z": text, **({"label": label_text} if label_text is not None else {})}
    for name, value in (generate_query(key) or (whole if "z" in st.query_params else {})).items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    st.session_state[keys.LINK_CODE] = (key, text)
    if show_grid and tabs[4].open:
        with tabs[4]:
            n = st.slider("Grid size", 8, 25, 15)
            grid = inference.decode(model, manifold_grid(n), labels_for(n * n))
            st.image(
                big(tile(grid, n_cols=n, pad=0), 640),
                caption="Decoded over the inverse normal CDF of an even grid (Kingma & Welling 2014, fig. 4)",
            )


generator()
