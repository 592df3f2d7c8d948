"""Every session-state key the app shares between pages, named once. A page's private widget
keys may stay in that page; anything another page (or this package) reads is here."""

from __future__ import annotations

ACTIVE_MODEL = "active_model"  # the model the session works with, across pages
URL_MODEL = "_url_model"  # the ?model= the app wrote last (a different one is an opened link)
IMPLICIT_MODEL = "_implicit_model"  # the newcomer's model, chosen for them (never said to misfit)
MODEL_PICKER = "_model_picker"  # the sidebar selectbox
USER_MODELS = "user_models"  # id -> {entry, checkpoint, bundle, ...}: this browser's own models
USER_MODEL_ERRORS = "_user_model_errors"  # kept files of this browser that could not be opened
KEPT_NOTE = "kept_note"  # the sentence saying how long a new own model is kept
SMOOTH_IMAGES = "_smooth_images"  # enlarge images smoothly (faces) or crisply (digits)
LINK_CODE = "_link_code"  # the (z, label) of the last address Generate followed
TABLE_MODEL = "table_model"  # Tabular anomalies: the model trained on the user's table
# The Train page: the data set being assembled, the running job and what it left behind
TRAIN_SET, TRAIN_SET_NAME = "train_set", "train_set_name"
TRAIN_JOB, TRAIN_LABEL, TRAIN_DONE, TRAIN_REFUSED = "train_job", "train_label", "train_done", "train_refused"
KEPT_TRAIN_MODEL = "_kept_train_model"
GENERATE_TAB = "_generate_tab"  # Generate's open tab (only that one is drawn on a rerun)
DRAWING = "drawing"  # the last drawing with ink, (280, 280, 4) uint8 RGBA (Reconstruct, Compare)


def code_keys(model_id: str) -> tuple[str, str, str]:
    """A model's current code (Generate's, shared with the other pages), its revision (bumped when
    the server moves it, so the browser takes it over) and the cvae's class."""
    return f"code_{model_id}", f"code_revision_{model_id}", f"label_{model_id}"


def start_code(model_id: str) -> str:
    """The (code text, class) Generate started from: an address without z gives that code again."""
    return f"_start_code_{model_id}"


def tsne(model_id: str) -> str:
    """A t-SNE map the session computed for a model (Latent map)."""
    return f"tsne_{model_id}"


def shared_spot(model_id: str) -> str:
    """The map spot whose code was last made the model's current code (Latent map)."""
    return f"shared_spot_{model_id}"


def seen_release(component_key: str) -> str:
    """The last release of a live component that its page handled."""
    return f"_seen_{component_key}"
