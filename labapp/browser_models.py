"""The models a visitor trains or opens, kept for their browser across reloads and tabs.

A Streamlit session ends with a reload, a second tab or a dropped connection, and its state with
it. So a model is also written to the server's UserModelStore (aelib.io.user_store) in a folder named
by a random token; the browser keeps the token in a cookie (set by a line of JavaScript: Streamlit
can read cookies, st.context.cookies, but not set them), and a new session of the same browser
loads that folder's models. Another browser has another token (or none): it never sees them.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from aelib import AelibError, load_bundle, load_checkpoint
from aelib.io import zoo
from aelib.io.user_store import UserModelStore

COOKIE = "aelab_browser"
PRIVATE_PREFIX = "yours_"  # every id add_user_model makes


def store() -> UserModelStore:
    return UserModelStore()  # (a few attributes: made per call, so AELIB_USER_MODELS is read when used)


def kept_for() -> str:
    """How long and how much is kept, in words."""
    s = store()
    return f"{s.keep_days:.0f} days after this browser's last visit, up to {s.max_bytes / 2**20:.0f} MB of models"


def browser_token(create: bool = False) -> str | None:
    """This browser's token: the cookie's, else a new one when `create` (the cookie is then set
    by `set_cookie`), else None."""
    token = st.session_state.get("_browser_token")
    if token is None:
        cookie = st.context.cookies.get(COOKIE)
        if UserModelStore.valid_token(cookie):
            token = cookie
        elif create:
            token = UserModelStore.new_token()
        if token is not None:
            st.session_state["_browser_token"] = token
    return token


def set_cookie() -> None:
    """(Re)write the cookie, so that it lives as long as the folder it names. The token is ours
    (32 URL-safe characters, checked), never user input."""
    token = st.session_state.get("_browser_token")
    if UserModelStore.valid_token(token):
        age = int(store().max_age_s)
        st.html(
            f"<script>document.cookie = '{COOKIE}={token}; max-age={age}; path=/; samesite=strict';</script>",
            unsafe_allow_javascript=True,
        )


def stored_models() -> tuple[dict[str, dict], list[str]]:
    """This browser's kept models (id -> {entry, checkpoint, bundle}) and one line per file that
    could not be read. Called once per session."""
    token, models, errors = browser_token(), {}, []
    if token is None:
        return models, errors
    store().touch(token)
    for path in store().paths(token):
        try:
            checkpoint, bundle = load_checkpoint(path), load_bundle(path).read_only()
        except AelibError as exc:
            errors.append(str(exc))
            continue
        entry = zoo.summarise(Path(path.name), checkpoint.header, own=True)
        models[path.stem] = {"entry": entry, "checkpoint": checkpoint, "bundle": bundle}
    return models, errors


def stored_ids() -> set[str]:
    token = browser_token()
    return {p.stem for p in store().paths(token)} if token else set()


def keep(model_id: str, data: bytes | None) -> str:
    """Write a new session model to this browser's folder; returns a sentence saying so (or why not)."""
    if data is None:
        return "It is kept for this browser session only."
    try:
        removed = store().save(browser_token(create=True), model_id, data)
    except (AelibError, OSError) as exc:
        return f"It could not be kept on the server ({exc}), so it lasts this browser session only: download it."
    set_cookie()
    dropped = f" To make room, {', '.join(removed)} was removed." if removed else ""
    return f"It is kept for this browser (not for anyone else) for {kept_for()}.{dropped}"


def kept_files() -> list[Path]:
    """This browser's kept checkpoint files, oldest first (for downloads after a reload)."""
    token = browser_token()
    return store().paths(token) if token else []


def private_link_note(model_id: str) -> str | None:
    """The words for a link naming another browser's model (ids of models made in the app)."""
    if not model_id.startswith(PRIVATE_PREFIX):
        return None
    return (
        f"The link names “{model_id}”, a model trained in the app: it is private to the browser that "
        "trained it and is not available here. Ask for the downloaded .safetensors file and open it on "
        "the Train page."
    )
