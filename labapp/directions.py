"""Attribute directions on the pages (issue #25): a model's built-in directions (aelib.explore.directions,
computed once per shipped checkpoint for all sessions, once per session for a session's own model),
the ones this session defined (kept per model for the session), and the widgets that define one,
show its trust, and decode along it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import streamlit as st

from aelib.explore import attributes, inference
from aelib.explore.directions import DIRECTION_RANGE, builtin_directions, define, trust_text
from aelib.io.bundle import Bundle
from aelib.io.zoo import ModelEntry
from aelib.preprocess.imaging import tile
from labapp.display import plain, show

STEPS = np.linspace(-DIRECTION_RANGE, DIRECTION_RANGE, 7)


def session_key(model_id: str) -> str:
    """The directions this session defined for a model (a list of aelib.explore.directions.Direction)."""
    return f"directions_{model_id}"


@st.cache_resource(show_spinner=False, max_entries=16)
def _shipped(path: str, mtime: float, dataset: str, _model, _bundle) -> list:
    return builtin_directions(_model, _bundle, dataset)  # shared by all sessions: never modified


_MEASURED: set = set()  # the shipped checkpoints whose directions this server has (no spinner for them)


def prepare_shipped(entry: ModelEntry, checkpoint, bundle: Bundle) -> None:
    """Measure a shipped model's built-in directions ahead of its first Generate visit (warm-up)."""
    if entry.kind == "image" and bundle.images is not None and not entry.own:
        shipped = (entry.path, Path(entry.path).stat().st_mtime)
        _shipped(*shipped, entry.dataset, checkpoint.model, bundle)
        _MEASURED.add(shipped)


def directions_of(entry: ModelEntry, checkpoint, bundle: Bundle) -> list:
    """The model's built-in directions, then this session's; [] for a model without images."""
    if entry.kind != "image" or bundle.images is None:
        return []
    own = f"_builtin_directions_{entry.id}"
    shipped = None if entry.own else (entry.path, Path(entry.path).stat().st_mtime)
    if (shipped in _MEASURED) if shipped else (own in st.session_state):
        waiting = contextlib.nullcontext()
    else:
        waiting = st.spinner("Measuring the model's images for its attribute directions (once per model)…")
    with waiting:
        if shipped:
            builtin = _shipped(*shipped, entry.dataset, checkpoint.model, bundle)
            _MEASURED.add(shipped)
        else:
            if own not in st.session_state:
                st.session_state[own] = builtin_directions(checkpoint.model, bundle, entry.dataset)
            builtin = st.session_state[own]
    return [*builtin, *st.session_state.get(session_key(entry.id), [])]


def keep(model_id: str, direction) -> None:
    """Add (or replace, by name) a direction this session defined."""
    kept = [d for d in st.session_state.get(session_key(model_id), []) if d.name != direction.name]
    st.session_state[session_key(model_id)] = [*kept, direction]
    st.session_state[f"_directions_version_{model_id}"] = version(model_id) + 1


def version(model_id: str) -> int:
    """How many times this session changed the model's directions: part of the live panel's key, so
    the panel is built again with the new sliders."""
    return st.session_state.get(f"_directions_version_{model_id}", 0)


def show_trust(direction) -> None:
    """Its trust in one line, then the decode check: the property measured at each step, what else
    changed over the range, and the share of probes still read as their own class."""
    st.markdown(f"**{plain(direction.name)}**: {plain(trust_text(direction))}")
    check = direction.trust.decode if direction.trust else None
    if check is None:
        return
    what = "the code read back along it (std)" if check.measure == "position" else check.measure
    what = f"share read as class {check.measure[6:]}" if check.measure.startswith("class:") else what
    steps = ", ".join(f"{s:+.0f}" for s in check.steps)
    lines = [f"{what} on images decoded at {steps} std: " + " → ".join(f"{v:.3g}" for v in check.values)]
    others = [f"{k} {v:+.1f}" for k, v in check.changes.items() if k != check.measure]
    if others:
        lines.append("change over the range, in std of each measure on the test images: " + ", ".join(others))
    if check.class_kept is not None:
        kept = check.class_kept
        lines.append(f"still read as their own class: {kept[0]:.0%} at the low end, {kept[-1]:.0%} at the high end")
    st.caption(plain("; ".join(lines)))


def strip(model, direction, code, label=None, edit: bool = False) -> np.ndarray:
    """The images decoded along a direction from `code` (D,) at each of STEPS, tiled in a row: the
    code set to each step (edit=False), or shifted by it (edit=True: the middle is the code itself)."""
    code = np.asarray(code, np.float32)[None]
    codes = (direction.shift(code, STEPS[:, None]) if edit else direction.move(code, STEPS[:, None]))[:, 0]
    images = inference.decode(model, codes, None if label is None else [label] * len(STEPS))
    return tile(images, n_cols=len(STEPS), pad=1)


def edit_along(model, directions: list, code, label=None, key: str = "edit") -> None:
    """Reconstruct's "edit this image along a direction": its code shifted from -3 to +3 std."""
    if not directions:
        return
    names = [d.name for d in directions]
    pick = st.selectbox("Edit it along a direction", range(len(names)), format_func=names.__getitem__, key=key)
    chosen = directions[pick]
    show(st, strip(model, chosen, code, label, edit=True), 90)
    moves = ", ".join(f"{s:+.0f}" for s in STEPS)
    st.caption(plain(f"Its code moved {moves} std along “{chosen.name}” (the middle is the reconstruction); "
                     f"{trust_text(chosen)}."))  # fmt: skip


def define_section(entry: ModelEntry, checkpoint, bundle: Bundle, names: list[str], code=None, label=None) -> None:
    """Define a direction from two classes, a measured property or a typed vector (it joins the live
    panel's sliders for this session); then every direction's trust and, from `code`, its strip."""
    model, dataset, model_id = checkpoint.model, entry.dataset, entry.id
    ways = (["two classes"] if bundle.labels is not None else []) + ["a measured property", "a typed vector"]
    way = st.radio("Define a direction from", ways, horizontal=True, key=f"define_way_{model_id}")
    spec, name = {}, ""
    if way == "two classes":
        classes = sorted({int(v) for v in bundle.labels})
        class_name = names.__getitem__ if names else str
        cols = st.columns(2)
        a = cols[0].selectbox("From class", classes, format_func=class_name, key=f"define_a_{model_id}")
        b = cols[1].selectbox(
            "Towards class", classes, min(1, len(classes) - 1), format_func=class_name, key=f"define_b_{model_id}"
        )
        spec, name = {"classes": (a, b)}, f"{class_name(a)} → {class_name(b)}"
    elif way == "a measured property":
        measure = st.selectbox("Property", attributes.measures_for(dataset), key=f"define_m_{model_id}")
        st.caption(plain(" ".join(attributes.MEASURES[measure][0].__doc__.split())))
        spec, name = {"measure": measure}, f"more {measure}"
    else:
        text = st.text_input(f"{model.config.latent_dim} numbers, separated by commas or spaces", key=f"v_{model_id}")
        try:
            spec = {"vector": [float(v) for v in text.replace(",", " ").split()]} if text.strip() else {}
        except ValueError:
            st.error("Only numbers, please.")
        name = "typed vector"
    name = st.text_input("Its name", name, max_chars=40, key=f"define_name_{model_id}_{way}_{name}") or name
    if st.button("Add this direction", disabled=not spec, key=f"define_go_{model_id}"):
        try:
            with st.spinner("Estimating the direction and checking it (bootstrap, held-out codes, decoding)…"):
                direction = define(model, bundle, dataset, name=name, **spec)
        except ValueError as exc:
            st.error(plain(str(exc)))
        else:
            keep(model_id, direction)
            st.rerun()  # the live panel, drawn above, takes the new slider
    show_directions(entry, checkpoint, bundle, code, label)


def show_directions(entry: ModelEntry, checkpoint, bundle: Bundle, code=None, label=None) -> None:
    """Every direction's trust and decode check, and (from `code`, when asked) the images along it:
    Generate reruns on every release, and this tab is drawn even when another one is open, so the
    strips (7 decodes each) are made only for a user who wants them."""
    along = code is not None and st.toggle(
        "Show the images along each direction, from the current code", key=f"strips_{entry.id}"
    )
    for direction in directions_of(entry, checkpoint, bundle):
        show_trust(direction)
        if along:
            show(st, strip(checkpoint.model, direction, code, label), 80)


def from_selection(entry: ModelEntry, checkpoint, bundle: Bundle, chosen: list[int]) -> None:
    """Latent map: keep the selected points (indices into aelib.io.bundle.map_points) as group A or B;
    with both, define the direction from A towards B for this session (the groups stay meanwhile)."""
    model_id = entry.id
    groups = st.session_state.setdefault(f"_direction_groups_{model_id}", {})
    if not chosen and not groups:
        return
    cols = st.columns(3)
    for column, group in zip(cols, "AB", strict=False):
        if chosen and column.button(f"Use these {len(chosen)} as group {group}", key=f"group_{group}_{model_id}"):
            groups[group] = [int(i) for i in chosen]
    cols[2].caption(" · ".join(f"group {g}: {len(groups[g])} points" for g in sorted(groups)) or "no groups yet")
    if len(groups) < 2:
        return
    name = st.text_input("The direction from group A to group B, named", "A → B", max_chars=40, key=f"ab_{model_id}")
    if st.button("Make this direction (it joins Generate's sliders)", key=f"make_ab_{model_id}"):
        try:
            with st.spinner("Estimating the direction and checking it…"):
                direction = define(checkpoint.model, bundle, entry.dataset, selections=(groups["A"], groups["B"]),
                                   name=name)  # fmt: skip
        except ValueError as exc:
            st.error(plain(str(exc)))
            return
        keep(model_id, direction)
        show_trust(direction)
