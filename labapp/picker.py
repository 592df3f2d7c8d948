"""The sidebar's active-model picker: one active model per session, followed by every page and
written to the address (`?model=`); an opened link selects its model once."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st
import torch

from aelib import AelibError
from aelib.io.bundle import Bundle
from aelib.io.zoo import ModelEntry
from aelib.preprocess.imaging import CRISP_DATASETS
from labapp import browser_models, keys
from labapp.display import label_names, plain
from labapp.frame import setup_page
from labapp.models import DEFAULT_MODEL, model_entries, source


def _follow_link(ids: list[str], entries: list[ModelEntry] | None = None) -> None:
    """A `?model=` the app did not write itself (an opened link, an edited URL) selects its model
    once; afterwards the sidebar widget is the only source of truth and the URL follows it."""
    wanted = st.query_params.get("model")
    if wanted == st.session_state.get(keys.URL_MODEL):
        return
    st.session_state[keys.URL_MODEL] = wanted
    if wanted in ids or wanted in {e.id for e in entries or []}:
        st.session_state[keys.ACTIVE_MODEL] = wanted  # a real model that may not fit this page: see active_model_id
    elif wanted and (private := browser_models.private_link_note(wanted)):
        st.warning(plain(private), icon="🔒")
    elif wanted:
        st.warning(f"Unknown model in the link: “{plain(wanted)}”. Available here: {', '.join(ids)}.", icon="⚠️")


def _picked() -> None:
    st.session_state[keys.ACTIVE_MODEL] = st.session_state[keys.MODEL_PICKER]
    for name in ("z", "label"):  # a code in the address bar belongs to the model it was made with
        st.query_params.pop(name, None)


def active_model_id(ids: list[str], entries: list[ModelEntry] | None = None, need_text: str = "") -> str:
    """The session's active model among `ids`: an opened link's model once, then the picker's.
    When the active model does not fit this page, one of the same dataset is shown, and said so."""
    _follow_link(ids, entries)
    by_id = {e.id: e for e in entries or []}
    if st.session_state.get(keys.ACTIVE_MODEL) not in by_id:  # a new session: the newcomer's model
        start = DEFAULT_MODEL if DEFAULT_MODEL in by_id else ids[0]
        st.session_state[keys.ACTIVE_MODEL] = st.session_state[keys.IMPLICIT_MODEL] = start
    active = st.session_state[keys.ACTIVE_MODEL]
    if active in ids:
        return active
    same_data = [i for i in ids if active in by_id and by_id[i].dataset == by_id[active].dataset]
    default_data = [i for i in ids if DEFAULT_MODEL in by_id and by_id[i].dataset == by_id[DEFAULT_MODEL].dataset]
    fallback = next(iter(same_data or ([DEFAULT_MODEL] if DEFAULT_MODEL in ids else default_data) or ids))
    if active != st.session_state.get(keys.IMPLICIT_MODEL):  # a model the user chose: said plainly
        st.info(
            f"{active} does not fit this page{' (' + need_text + ')' if need_text else ''}: showing "
            f"{fallback}. Your choice is kept for the other pages.",
            icon="ℹ️",
        )
    else:  # the newcomer's model, chosen for them: a quiet line, so the switch is never silent
        reason = f": {need_text}" if need_text else ""
        st.caption(f"This page shows {fallback}{reason}. Pick another in the sidebar.")
    return fallback


def choose_model(need=None, need_text: str = "", kind: str = "image", need_codes: bool = False):
    """Sidebar picker of the active model. Returns (entry, checkpoint, bundle) or stops the page
    with a clear message; `need(entry) -> bool` restricts the choice (e.g. models with labels),
    `kind` picks image, series or table models, and need_codes stops a page that needs the
    explorer bundle's codes when the model has none."""
    entries, errors = model_entries()
    for error in errors:
        st.sidebar.error(f"Skipped a checkpoint: {plain(error)}", icon="⚠️")
    usable = [e for e in entries if e.kind == kind and (need is None or need(e))]
    if not usable:
        st.info(
            f"No shipped model fits this page{': ' + need_text if need_text else ''}. "
            "Train one with `python -m aelib train` (see the README)."
        )
        st.stop()
    ids = [e.id for e in usable]
    current = active_model_id(ids, entries, need_text)
    # Widget state does not survive navigation (Home has no picker; another page's widget is a new
    # widget), so the picker is seeded on every run from the session's active model, a plain key
    # that `_picked` updates when the user chooses.
    st.session_state[keys.MODEL_PICKER] = current
    by_id = {e.id: e for e in usable}
    chosen = st.sidebar.selectbox("Active model", ids, key=keys.MODEL_PICKER, on_change=_picked)
    st.sidebar.caption(f"`{by_id[chosen].model}` on {by_id[chosen].dataset}, {by_id[chosen].latent_dim}-D latent")
    # The address names the session's active model, even where this page shows another that fits
    # (said above), so that moving between pages never rewrites it; written only when it changes,
    # since every write is a browser history entry.
    active = st.session_state.get(keys.ACTIVE_MODEL)
    st.session_state[keys.URL_MODEL] = url_model = active if active in {e.id for e in entries} else chosen
    newcomer = "model" not in st.query_params and url_model == st.session_state.get(keys.IMPLICIT_MODEL)
    if st.query_params.get("model") != url_model and not newcomer:  # (a newcomer's address stays bare)
        st.query_params["model"] = url_model
    entry = by_id[chosen]
    st.session_state[keys.SMOOTH_IMAGES] = entry.dataset not in CRISP_DATASETS
    try:
        model = source(entry)
        checkpoint, bundle = model.checkpoint(), model.bundle()
    except AelibError as exc:
        st.error(f"This model cannot be loaded: {plain(str(exc))}")
        st.stop()
    if need_codes and bundle.codes is None:
        st.info("This model has no explorer bundle yet: run `python -m aelib bundle PATH --data-root DIR`.")
        st.stop()
    return entry, checkpoint, bundle


class Explorer(NamedTuple):
    """What every explorer page starts from: the active model, its bundle and the names around them."""

    entry: ModelEntry
    checkpoint: object
    bundle: Bundle
    model: torch.nn.Module
    codes: np.ndarray  # (N, latent_dim) test codes
    key: str  # the model's id, for session-state keys
    labels: np.ndarray | None  # (N,) test labels
    names: list[str]  # class names


def explorer_page(title: str) -> Explorer:
    """setup_page and the model picker for a page that needs the explorer bundle's codes."""
    setup_page(title)
    entry, checkpoint, bundle = choose_model(need_codes=True)
    codes, labels = bundle.codes, bundle.labels
    return Explorer(entry, checkpoint, bundle, checkpoint.model, codes, entry.id, labels, label_names(checkpoint))
