"""Glue for the in-browser component (latent_control): the map's data file, the shared current
code, and the component's releases."""

from __future__ import annotations

import numpy as np
import streamlit as st

import latent_control
from aelib.explore.latent import PrincipalAxes
from labapp import keys
from labapp.display import no_paths, plain
from labapp.models import asset_gone


@st.cache_data(show_spinner=False, max_entries=16)
def _map_data_url(coords: np.ndarray, point_labels, codes, names: list[str], train=None) -> str:
    from aelib.explore.figures import class_colours  # plotly: only pages with charts import it

    n_classes = len(names) if names else (0 if point_labels is None else int(point_labels.max()) + 1)
    colours = class_colours(max(n_classes, 1))
    return latent_control.map_asset(coords, point_labels, codes, names or None, colours, train)


def map_data_url(coords: np.ndarray, point_labels, codes, names: list[str], train=None) -> str | None:
    """The live map's points, labels, (for t-SNE) codes and training-image flags, written once per
    map for the browser; None, with a note, when the file cannot be written (the plotly map then
    takes over)."""
    try:
        if asset_gone(url := _map_data_url(coords, point_labels, codes, names, train)):
            _map_data_url.clear()
            url = _map_data_url(coords, point_labels, codes, names, train)
        return url
    except Exception as exc:  # e.g. a full disk: the map still works, drawn by the server
        st.caption(f"The live map is off ({plain(no_paths(exc))}); showing the server's map.")
        return None


@st.cache_data(show_spinner=False, max_entries=32)
def principal_axes_of(codes: np.ndarray) -> PrincipalAxes:
    """The codes' principal axes, once per model's codes rather than on every run of a page."""
    return PrincipalAxes.fit(codes)


def set_current_code(model_id: str, code, label: int | None = None) -> None:
    """Make `code` (D,) the model's current code, and `label` its class for a conditional model."""
    code_key, revision_key, label_key = keys.code_keys(model_id)
    st.session_state[code_key] = np.asarray(code, np.float32)
    st.session_state[revision_key] = st.session_state.get(revision_key, 0) + 1
    if label is not None:
        st.session_state[label_key] = int(label)


def live_failed(value) -> bool:
    """True (with a note) when the browser reported it cannot decode; the page then uses the server."""
    if isinstance(value, dict) and value.get("error"):
        st.info(
            f"In-browser decoding is unavailable here ({plain(str(value['error'])[:200])}); decoding on the server."
        )
        return True
    return False


def new_release(value, component_key: str) -> dict | None:
    """The component's value when it is a release this page has not handled yet, else None."""
    if not isinstance(value, dict) or "seq" not in value or value.get("error"):
        return None
    if st.session_state.get(keys.seen_release(component_key)) == value["seq"]:
        return None
    st.session_state[keys.seen_release(component_key)] = value["seq"]
    return value
