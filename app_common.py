"""Streamlit glue shared by the pages: model choice (synced with the URL), caching, image display.
Only widgets and caching live here; the work is done by aelib."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import streamlit as st
import torch

import app_browser_models as browser_models
import latent_control
from aelib import AelibError, load_bundle, load_checkpoint, zoo
from aelib.imaging import CRISP_DATASETS, to_uint8, upscale
from aelib.jobs import JobSlots
from aelib.latent import code_to_text, principal_directions

# The server decodes a handful of small images per request, many sessions at once: one thread per
# request and PyTorch's native kernels (oneDNN's primitive caches and per-thread scratch memory cost
# about 20 MiB and buy nothing at batch sizes of 1-16). Measured by benchmarks/memory.py.
torch.set_num_threads(1)
torch.backends.mkldnn.enabled = False


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: the only list of pages (app.py's navigation, tests and benchmarks)."""

    key: str
    path: str
    title: str
    icon: str

    @property
    def url_path(self) -> str:
        """The page's address after the server's root: "" for Home, else e.g. "Latent_map"."""
        return "" if self.key == "home" else Path(self.path).stem.split("_", 1)[1]


PAGES = (
    PageSpec("home", "pages/home.py", "Home", ":material/home:"),
    PageSpec("latent_map", "pages/1_Latent_map.py", "Latent map", ":material/scatter_plot:"),
    PageSpec("generate", "pages/2_Generate.py", "Generate", ":material/tune:"),
    PageSpec("interpolate", "pages/3_Interpolate.py", "Interpolate", ":material/timeline:"),
    PageSpec("reconstruct", "pages/4_Reconstruct.py", "Reconstruct", ":material/draw:"),
    PageSpec("denoise", "pages/5_Denoise.py", "Denoise", ":material/auto_fix_high:"),
    PageSpec("anomaly", "pages/6_Anomalies.py", "Anomalies", ":material/crisis_alert:"),
    PageSpec("time_series", "pages/7_Time_series.py", "Time series", ":material/monitor_heart:"),
    PageSpec("tabular", "pages/8_Tabular_anomalies.py", "Tabular anomalies", ":material/table_chart:"),
    PageSpec("train", "pages/9_Train.py", "Train your own", ":material/model_training:"),
    PageSpec("compare", "pages/10_Compare.py", "Compare kinds", ":material/compare:"),
)
PAGE_BY_KEY = {page.key: page for page in PAGES}


def setup_page(title: str) -> None:
    """Every page starts here: wide layout and the page title."""
    _release_freed_memory()
    # a local icon: a ":material/...:" page icon makes every page view fetch it from fonts.gstatic.com
    st.set_page_config(page_title=f"{title} · Autoencoder Lab", page_icon=str(ICON), layout="wide")
    with st.sidebar:
        for page in PAGES:  # (each link carries the address its page will show: one history entry)
            st.page_link(page.path, label=page.title, icon=page.icon, query_params=link_query(page.key))
        st.divider()
        browser_models.set_cookie()  # only once this browser has models kept on the server
    # Image captions wrap between words, not inside them ("reconstru ction" under narrow images).
    st.html("<style>[data-testid='stImageCaption'] {word-break: normal; overflow-wrap: normal;}</style>")
    st.title(title)


def link_query(page_key: str) -> dict[str, str]:
    """The query a link to a page carries: exactly what that page writes into the address bar on
    arrival (the session's active model; on Generate its current code and class), so the page
    changes nothing there and one click makes one history entry, not two."""
    active = _link_model()
    if not active:
        return {}
    return {"model": active, **(generate_query(active) if page_key == "generate" else {})}


def _link_model() -> str | None:
    """The model this run makes the session's active one: an address's `?model=` not seen before
    (choose_model takes it below the links), else the active model, else a newcomer's."""
    ids = {e["id"] for e in model_entries()[0]}
    wanted = st.query_params.get("model")
    if wanted != st.session_state.get("_url_model") and wanted in ids:
        return wanted
    active = st.session_state.get("active_model")
    return active if active in ids else DEFAULT_MODEL if DEFAULT_MODEL in ids else None


def code_state(key: str) -> tuple[str, str | None] | None:
    """The model's current code as its address text, and its class (conditional models); None
    while it has no current code."""
    code_key, _, label_key = code_keys(key)
    if code_key not in st.session_state:
        return None
    label = st.session_state.get(label_key)
    return code_to_text(st.session_state[code_key]), None if label is None else str(label)


def generate_query(key: str) -> dict[str, str]:
    """What Generate's address carries for model `key` after `?model=`: nothing while the code (and
    class) is still the one the page started from (opening the address again gives that code), else
    `z` (and `label`)."""
    state = code_state(key)
    if state is None or state == st.session_state.get(f"_start_code_{key}"):
        return {}
    return {"z": state[0], **({"label": state[1]} if state[1] is not None else {})}


def _release_freed_memory() -> None:
    """Hand memory that earlier reruns freed back to the OS (glibc keeps it otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime) for p in sorted(directory.glob("*.safetensors")))


@st.cache_data(show_spinner=False)
def _entries(directory: str, stamp: tuple) -> tuple[list[dict], list[str]]:
    return zoo.list_checkpoints(directory)


def model_entries() -> tuple[list[dict], list[str]]:
    """Readable checkpoints and one error line per unreadable file (cached until files change),
    then this session's own models."""
    directory = zoo.checkpoint_dir()
    if not directory.is_dir():
        return [m["entry"] for m in user_models().values()], [f"checkpoint folder {directory} does not exist"]
    entries, errors = _entries(str(directory), _stamp(directory))
    own = [m["entry"] for m in user_models().values()]
    return [*entries, *own], [*errors, *st.session_state.get("_user_model_errors", [])]


def user_models() -> dict[str, dict]:
    """This browser's own models (trained on the Train page or opened there): id -> {entry,
    checkpoint, bundle}. Loaded once per session from the browser's folder on the server
    (app_browser_models), so a reload or a second tab keeps them; no other browser sees them."""
    if "user_models" not in st.session_state:
        st.session_state["user_models"], st.session_state["_user_model_errors"] = browser_models.stored_models()
    return st.session_state["user_models"]


def add_user_model(name: str, checkpoint, bundle: dict, data: bytes | None = None) -> str:
    """Make a model the session's own and its active model; returns its id (e.g. "yours_shoes_2").
    With its checkpoint file's `data`, it is also kept for this browser (the sentence that says for
    how long is left in st.session_state["kept_note"])."""
    stem = browser_models.PRIVATE_PREFIX + (re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()[:30] or "model")
    taken = {e["id"] for e in model_entries()[0]} | browser_models.stored_ids()
    candidates = [stem, *(f"{stem}_{i}" for i in range(2, len(taken) + 3))]
    model_id = next(c for c in candidates if c not in taken)
    for array in bundle.values():
        array.flags.writeable = False  # shared by every page of the session, like the cached bundles
    entry = {**zoo.summarise(Path(f"{model_id}.safetensors"), checkpoint.header), "user": True}
    _make_room(user_models(), model_bytes(checkpoint, bundle))
    user_models()[model_id] = {"entry": entry, "checkpoint": checkpoint, "bundle": bundle}
    st.session_state["kept_note"] = browser_models.keep(model_id, data)
    st.session_state["active_model"] = model_id
    return model_id


# What one session may hold in models it trained or opened: on a shared 690 MB server, a visitor who
# opens the same large file again and again must not take the memory of everyone else.
MAX_USER_MODELS = 4
MAX_USER_MODEL_MB = 256


def model_bytes(checkpoint, bundle: dict) -> int:
    """Memory a session model holds: its weights and its explorer arrays."""
    weights = sum(t.numel() * t.element_size() for t in checkpoint.model.state_dict().values())
    return weights + sum(np.asarray(a).nbytes for a in bundle.values())


def _make_room(models: dict, new_bytes: int) -> None:
    """Drop the session's oldest models until one more of `new_bytes` fits the caps; say which."""
    dropped = []
    while models and (
        len(models) >= MAX_USER_MODELS
        or sum(model_bytes(m["checkpoint"], m["bundle"]) for m in models.values()) + new_bytes
        > MAX_USER_MODEL_MB * 2**20
    ):
        oldest = next(iter(models))
        dropped.append(oldest)
        del models[oldest]
    if dropped:
        st.warning(
            f"This session keeps at most {MAX_USER_MODELS} of your models ({MAX_USER_MODEL_MB} MB): "
            f"closed the oldest, {', '.join(dropped)}. Download a model to keep it.",
            icon="ℹ️",
        )


@st.cache_resource(show_spinner="Loading model…")
def _checkpoint(path: str, mtime: float):
    return load_checkpoint(path)  # shared by all sessions: callers must never modify the model


@st.cache_resource(show_spinner=False)
def _bundle(path: str, mtime: float) -> dict:
    """One read-only copy for all sessions (cache_data would keep a pickle and hand out copies)."""
    bundle = load_bundle(path)
    for array in bundle.values():
        array.flags.writeable = False
    return bundle


@st.cache_resource
def job_slots() -> JobSlots:
    # one heavy job per two cores, for all sessions together: a crowd queues instead of thrashing
    return JobSlots(max(1, (os.cpu_count() or 2) // 2))


@contextlib.contextmanager
def heavy_job(progress, need_mb: float = 150, what: str = "this job"):
    """Context for t-SNE or training: waits for a free slot, telling the user their place on
    `progress` (an st.progress bar). Raises aelib.memory.NotEnoughMemory, before and again after
    waiting, when the job's `need_mb` does not fit in the memory left to the server."""
    from aelib.memory import require_room

    require_room(need_mb, what)
    slots = job_slots()
    with slots.slot(
        on_wait=lambda place: progress.progress(
            0.0, text=f"Queued, number {place} in line: this server runs {slots.n_slots} heavy job(s) at a time…"
        )
    ):
        require_room(need_mb, what)  # others' jobs may have grown while this one waited
        yield


def get_checkpoint(entry: dict):
    if entry.get("user"):
        return user_models()[entry["id"]]["checkpoint"]
    return _checkpoint(entry["path"], Path(entry["path"]).stat().st_mtime)


def get_bundle(entry: dict) -> dict:
    if entry.get("user"):
        return user_models()[entry["id"]]["bundle"]
    return _bundle(entry["path"], Path(entry["path"]).stat().st_mtime)


@st.cache_resource(show_spinner=False)
def _shipped_decoder_url(path: str, mtime: float) -> str:
    return latent_control.decoder_asset(_checkpoint(path, mtime).model)


def _asset_gone(url: str | None) -> bool:
    """True when a remembered asset URL has no file behind it any more (pruned, or the folder cleaned)."""
    return url is None or not (latent_control.FRONTEND / url).is_file()


def decoder_url(entry: dict) -> str | None:
    """Where the browser fetches this model's ONNX decoder (exported once per checkpoint, and once
    per session model); None, with a note, when it cannot be made: the page decodes on the server."""
    try:
        if entry.get("user"):
            record = user_models()[entry["id"]]
            if _asset_gone(record.get("decoder_url")):
                record["decoder_url"] = latent_control.decoder_asset(record["checkpoint"].model)
            return record["decoder_url"]
        mtime = Path(entry["path"]).stat().st_mtime
        if _asset_gone(url := _shipped_decoder_url(entry["path"], mtime)):
            _shipped_decoder_url.clear()
            url = _shipped_decoder_url(entry["path"], mtime)
        return url
    except Exception as exc:  # any failure costs only the live controls: the server still decodes
        st.caption(f"In-browser decoding is off for this model ({plain(no_paths(exc))}); decoding on the server.")
        return None


def no_paths(exc: Exception) -> str:
    """An exception's text for a user: file paths shortened to their names (never a server path)."""
    text = re.sub(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+){2,}", lambda m: Path(m.group()).name, str(exc))
    return f"{type(exc).__name__}: {text[:200]}"


@st.cache_data(show_spinner=False, max_entries=16)
def _map_data_url(coords: np.ndarray, point_labels, codes, names: list[str], train=None) -> str:
    from aelib.figures import class_colours  # plotly: only pages with charts import it

    n_classes = len(names) if names else (0 if point_labels is None else int(point_labels.max()) + 1)
    colours = class_colours(max(n_classes, 1))
    return latent_control.map_asset(coords, point_labels, codes, names or None, colours, train)


def map_data_url(coords: np.ndarray, point_labels, codes, names: list[str], train=None) -> str | None:
    """The live map's points, labels, (for t-SNE) codes and training-image flags, written once per
    map for the browser; None, with a note, when the file cannot be written (the plotly map then
    takes over)."""
    try:
        if _asset_gone(url := _map_data_url(coords, point_labels, codes, names, train)):
            _map_data_url.clear()
            url = _map_data_url(coords, point_labels, codes, names, train)
        return url
    except Exception as exc:  # e.g. a full disk: the map still works, drawn by the server
        st.caption(f"The live map is off ({plain(no_paths(exc))}); showing the server's map.")
        return None


@st.cache_data(show_spinner=False, max_entries=32)
def principal_directions_of(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """latent.principal_directions, once per model's codes rather than on every run of a page."""
    return principal_directions(codes)


def code_keys(key: str) -> tuple[str, str, str]:
    """Session keys of a model's current code (Generate's, shared with the other pages), of its
    revision (bumped when the server moves it, so the browser takes it over) and of the cvae's class."""
    return f"code_{key}", f"code_revision_{key}", f"label_{key}"


def set_current_code(key: str, code, label: int | None = None) -> None:
    """Make `code` (D,) the model's current code, and `label` its class for a conditional model."""
    code_key, revision_key, label_key = code_keys(key)
    st.session_state[code_key] = np.asarray(code, np.float32)
    st.session_state[revision_key] = st.session_state.get(revision_key, 0) + 1
    if label is not None:
        st.session_state[label_key] = int(label)


class Explorer(NamedTuple):
    """What every explorer page starts from: the active model, its bundle and the names around them."""

    entry: dict
    checkpoint: object
    bundle: dict
    model: torch.nn.Module
    codes: np.ndarray  # (N, latent_dim) test codes
    key: str  # the model's id, for session-state keys
    labels: np.ndarray | None  # (N,) test labels
    names: list[str]  # class names


def explorer_page(title: str) -> Explorer:
    """setup_page and the model picker for a page that needs the explorer bundle's codes."""
    setup_page(title)
    entry, checkpoint, bundle = choose_model(need_codes=True)
    codes, labels = bundle["codes"], bundle.get("labels")
    return Explorer(entry, checkpoint, bundle, checkpoint.model, codes, entry["id"], labels, label_names(checkpoint))


def live_failed(value) -> bool:
    """True (with a note) when the browser reported it cannot decode; the page then uses the server."""
    if isinstance(value, dict) and value.get("error"):
        st.info(
            f"In-browser decoding is unavailable here ({plain(str(value['error'])[:200])}); decoding on the server."
        )
        return True
    return False


def new_release(value, key: str) -> dict | None:
    """The component's value when it is a release this page has not handled yet, else None."""
    if not isinstance(value, dict) or "seq" not in value or value.get("error"):
        return None
    if st.session_state.get(f"_seen_{key}") == value["seq"]:
        return None
    st.session_state[f"_seen_{key}"] = value["seq"]
    return value


ICON = Path(__file__).resolve().parent / "assets" / "icon.png"
# What a newcomer expects first in an app about digits: the MNIST convolutional VAE.
DEFAULT_MODEL = "mnist_conv_vae"


def _follow_link(ids: list[str], entries: list[dict] | None = None) -> None:
    """A `?model=` the app did not write itself (an opened link, an edited URL) selects its model
    once; afterwards the sidebar widget is the only source of truth and the URL follows it."""
    wanted = st.query_params.get("model")
    if wanted == st.session_state.get("_url_model"):
        return
    st.session_state["_url_model"] = wanted
    if wanted in ids or wanted in {e["id"] for e in entries or []}:
        st.session_state["active_model"] = wanted  # a real model that may not fit this page: see active_model_id
    elif wanted and (private := browser_models.private_link_note(wanted)):
        st.warning(plain(private), icon="🔒")
    elif wanted:
        st.warning(f"Unknown model in the link: “{plain(wanted)}”. Available here: {', '.join(ids)}.", icon="⚠️")


def _picked() -> None:
    st.session_state["active_model"] = st.session_state["_model_picker"]
    for name in ("z", "label"):  # a code in the address bar belongs to the model it was made with
        st.query_params.pop(name, None)


def active_model_id(ids: list[str], entries: list[dict] | None = None, need_text: str = "") -> str:
    """The session's active model among `ids`: an opened link's model once, then the picker's.
    When the active model does not fit this page, one of the same dataset is shown, and said so."""
    _follow_link(ids, entries)
    by_id = {e["id"]: e for e in entries or []}
    if st.session_state.get("active_model") not in by_id:  # a new session: the newcomer's model
        start = DEFAULT_MODEL if DEFAULT_MODEL in by_id else ids[0]
        st.session_state["active_model"] = st.session_state["_implicit_model"] = start
    active = st.session_state["active_model"]
    if active in ids:
        return active
    same_data = [i for i in ids if active in by_id and by_id[i]["dataset"] == by_id[active]["dataset"]]
    default_data = [i for i in ids if DEFAULT_MODEL in by_id and by_id[i]["dataset"] == by_id[DEFAULT_MODEL]["dataset"]]
    fallback = next(iter(same_data or ([DEFAULT_MODEL] if DEFAULT_MODEL in ids else default_data) or ids))
    if active != st.session_state.get("_implicit_model"):  # (said only of a model the user chose)
        st.info(
            f"{active} does not fit this page{' (' + need_text + ')' if need_text else ''}: showing "
            f"{fallback}. Your choice is kept for the other pages.",
            icon="ℹ️",
        )
    return fallback


def choose_model(need=None, need_text: str = "", kind: str = "image", need_codes: bool = False):
    """Sidebar picker of the active model. Returns (entry, checkpoint, bundle) or stops the page
    with a clear message; `need(entry) -> bool` restricts the choice (e.g. models with labels),
    `kind` picks image, series or table models, and need_codes stops a page that needs the
    explorer bundle's codes when the model has none."""
    entries, errors = model_entries()
    for error in errors:
        st.sidebar.error(f"Skipped a checkpoint: {plain(error)}", icon="⚠️")
    usable = [e for e in entries if e.get("kind", "image") == kind and (need is None or need(e))]
    if not usable:
        st.info(
            f"No shipped model fits this page{': ' + need_text if need_text else ''}. "
            "Train one with `python -m aelib train` (see the README)."
        )
        st.stop()
    ids = [e["id"] for e in usable]
    current = active_model_id(ids, entries, need_text)
    # Widget state does not survive navigation (Home has no picker; another page's widget is a new
    # widget), so the picker is seeded on every run from the session's active model, a plain key
    # that `_picked` updates when the user chooses.
    st.session_state["_model_picker"] = current
    by_id = {e["id"]: e for e in usable}
    chosen = st.sidebar.selectbox("Active model", ids, key="_model_picker", on_change=_picked)
    st.sidebar.caption(
        f"`{by_id[chosen]['model']}` on {by_id[chosen]['dataset']}, {by_id[chosen]['latent_dim']}-D latent"
    )
    # The address names the session's active model, even where this page shows another that fits
    # (said above), so that moving between pages never rewrites it; written only when it changes,
    # since every write is a browser history entry.
    active = st.session_state.get("active_model")
    st.session_state["_url_model"] = url_model = active if active in {e["id"] for e in entries} else chosen
    newcomer = "model" not in st.query_params and url_model == st.session_state.get("_implicit_model")
    if st.query_params.get("model") != url_model and not newcomer:  # (a newcomer's address stays bare)
        st.query_params["model"] = url_model
    entry = by_id[chosen]
    st.session_state["_smooth_images"] = entry["dataset"] not in CRISP_DATASETS
    try:
        checkpoint, bundle = get_checkpoint(entry), get_bundle(entry)
    except AelibError as exc:
        st.error(f"This model cannot be loaded: {plain(str(exc))}")
        st.stop()
    if need_codes and "codes" not in bundle:
        st.info("This model has no explorer bundle yet: run `python -m aelib bundle PATH --data-root DIR`.")
        st.stop()
    return entry, checkpoint, bundle


_MARKDOWN_CONTROL = re.compile(r"([\\`*_\[\]()!<>~$#|])")


def plain(text: str) -> str:
    """User-controlled text (file names, URL parameters, column names, CSV cells) made inert for
    Streamlit's markdown: links (bare URLs included), images, HTML, emphasis, code, colour
    directives and headings are backslash-escaped, line breaks flattened, a leading list marker
    escaped."""
    text = _MARKDOWN_CONTROL.sub(r"\\\1", " ".join(str(text).splitlines()))
    # Bare URLs are autolinked whatever is escaped, so a zero-width space breaks the scheme.
    text = re.sub(r"(?i)\b(https?|ftp|mailto|www)([:.])", "\\1\u200b\\2", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", re.sub(r"^([-+])", r"\\\1", text))


def show_images(images, captions=None, height: int = 140, n_cols: int | None = None) -> None:
    """A row (or rows) of images, enlarged with nearest-neighbour so pixels stay crisp."""
    images = list(images)
    n_cols = n_cols or len(images)
    for start in range(0, len(images), n_cols):
        columns = st.columns(n_cols)
        for i, image in enumerate(images[start : start + n_cols]):
            caption = captions[start + i] if captions else None
            enlarged = big(image, height)
            columns[i].image(enlarged, caption=caption, width=enlarged.shape[1])


def big(image: np.ndarray, height: int = 140) -> np.ndarray:
    """(H, W) or (H, W, 3) in [0, 1] -> enlarged uint8 for st.image: crisp pixels for digits and
    clothes, smooth for faces (the active model's dataset decides)."""
    image = to_uint8(image) if image.dtype != np.uint8 else image
    return upscale(image, height, smooth=st.session_state.get("_smooth_images", False))


def label_names(checkpoint) -> list[str]:
    names = checkpoint.header["dataset"].get("class_names")
    return names or []


def bundle_images(bundle: dict, which=slice(None)) -> np.ndarray:
    """The bundle's uint8 test images `which` (an index, indices or a slice) as floats for display and
    encoding: (H, W) or (H, W, 3) for one index, else (N, H, W) or (N, H, W, 3). Only those are
    converted (all of a bundle's images are 6-32 MB as floats)."""
    single = not isinstance(which, slice) and np.ndim(which) == 0
    images = bundle["images"][[which] if single else which].astype(np.float32) / 255.0
    images = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    return images[0] if single else images


@st.cache_data(max_entries=16, show_spinner="Preparing the image…")
def prepared_upload(data: bytes, name: str, dataset: str, image_shape: tuple, face_box=None) -> dict:
    """inference.prepare_upload, once per file and setting rather than on every rerun; the original
    is kept as a 300-px preview so that the cache stays small. Raises what prepare_upload raises."""
    from aelib import inference
    from aelib.imaging import shrink_to

    prepared = inference.prepare_upload(data, name, dataset, image_shape, face_box)
    return {**prepared, "gray": shrink_to(prepared["gray"], 300)}


@st.cache_resource(show_spinner=False)
def _typicality_reference(path: str, mtime: float) -> dict:
    from aelib.lab import typicality_reference

    return typicality_reference(_bundle(path, mtime))


def typicality_reference(entry: dict) -> dict | None:
    """The test set's k-NN spread and ink level for verdicts, once per checkpoint (not per rerun)."""
    bundle = get_bundle(entry)
    if "codes" not in bundle or "score" not in bundle or "images" not in bundle:
        return None
    if entry.get("user"):
        from aelib.lab import typicality_reference as reference_of

        own = user_models()[entry["id"]]
        own.setdefault("typicality_reference", reference_of(bundle))
        return own["typicality_reference"]
    return _typicality_reference(entry["path"], Path(entry["path"]).stat().st_mtime)


def upload_verdict(model, image: np.ndarray, entry: dict, label=None) -> None:
    """One line on how typical an upload is for this model (the Reconstruct page has the details)."""
    from aelib import inference
    from aelib.lab import typicality

    reference = typicality_reference(entry)
    if reference is None:
        return
    result = inference.reconstruct(model, image, label)
    verdict = typicality(image, result, get_bundle(entry), reference)
    (st.caption if verdict["typical"] else st.warning)(verdict["verdict"].capitalize() + ".")


def draw_digit(key: str, note: str = "") -> None:
    """The drawing canvas (Reconstruct, Compare): the last drawing with ink goes to
    st.session_state["drawing"] as (280, 280, 4) uint8 RGBA, shared by both pages."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:
        st.info("Drawing needs streamlit-drawable-canvas (`pip install -r requirements.txt`).")
        return
    st.caption(f"Draw one digit, large, in the middle of the square. {note}".strip())
    st.container(height=28, border=False)  # the canvas's toolbar floats above it, over this space
    result = st_canvas(
        stroke_width=18,
        stroke_color="#000000",
        background_color="#FFFFFF",
        height=280,
        width=280,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    if result is not None and result.image_data is not None and result.image_data[..., :3].min() < 250:
        st.session_state["drawing"] = result.image_data
