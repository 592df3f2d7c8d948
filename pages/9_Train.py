"""Train: an autoencoder on your own images (or a built-in set), watched while it learns, then
explored on every page like the shipped models."""

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from aelib import MODELS, AelibError, TrainConfig, build_model
from aelib.datasets import load_dataset
from aelib.datasets.base import from_images
from aelib.datasets.user_images import ImageSetLimits, read_image_set
from aelib.explore.figures import loss_curves
from aelib.explore.latent import index_from_text
from aelib.io import zoo
from aelib.io.checkpoint import open_checkpoint
from aelib.io.checks import MAX_CLASSES
from aelib.training.memory import NotEnoughMemory, require_room, training_need_mb
from aelib.training.training_job import TrainingJob
from labapp import keys
from labapp.browser_models import kept_files, kept_for
from labapp.display import plain, show, show_images
from labapp.frame import PAGE_BY_KEY, link_query, setup_page
from labapp.jobs import job_slots
from labapp.models import add_user_model, get_bundle, model_entries

setup_page("Train on your own images")
st.caption(
    "Upload a .zip of images (one sub-folder per class, if you have classes) or a few image files, or take a "
    "built-in set; pick a model; watch it learn. The result joins the model picker on every page, and is kept "
    f"on this server for this browser only (reloads and new tabs included) for {kept_for()}; you can download it."
)
IMAGE_TYPES = ["zip", "png", "jpg", "jpeg", "bmp", "webp", "gif", "tif", "tiff"]
SIZES = {
    "28 x 28 grey": (1, 28, 28),
    "32 x 32 colour": (3, 32, 32),
    "64 x 64 grey": (1, 64, 64),
    "64 x 64 colour": (3, 64, 64),
}


# Per session, at most this many images: 3,000 64x64 colour images are 150 MB of float32 already.
LIMITS = ImageSetLimits(max_images=3000)


def uploaded_set(uploads, shape: tuple[int, int, int]):
    """The uploads read once per set of files and shape, kept in this session (not st.cache_data,
    which would hand every rerun its own unpickled copy of the tensors)."""
    key = (tuple(f.file_id for f in uploads), shape)
    if st.session_state.get("train_set_key") != key:
        with st.spinner("Reading your images…"):
            st.session_state[keys.TRAIN_SET] = read_image_set([(f.name, f.getvalue()) for f in uploads], shape, LIMITS)
        st.session_state["train_set_key"] = key
    return st.session_state[keys.TRAIN_SET]


def builtin_set(source: str, classes: list[int], n_images: int):
    if source == "digits":
        digits = load_dataset("digits")
        images = np.concatenate([digits.x_train.numpy(), digits.x_test.numpy()])
        labels = np.concatenate([digits.y_train.numpy(), digits.y_test.numpy()])
        return from_images(
            "digits", (images * 255).round().astype(np.uint8), labels, digits.class_names, classes, n_images
        )
    entry = next(e for e in model_entries()[0] if e.id == source)
    bundle = get_bundle(entry)
    names = zoo.read_header(entry.path)["dataset"].get("class_names")
    return from_images(entry.dataset, bundle.images, bundle.labels, names, classes, n_images)


KEPT: list[str] = []  # the widget keys `keep` has handed out in this run


def keep(key: str, default):
    """A widget's value that survives navigation: Streamlit forgets the state of widgets that a
    page did not draw, so each choice is also kept under a plain key and handed back."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get("_kept_" + key, default)
    KEPT.append(key)
    return key


def remember() -> None:
    for key in KEPT:
        st.session_state["_kept_" + key] = st.session_state[key]


def choose_upload():
    uploads = st.file_uploader(
        "A .zip of images, or image files", type=IMAGE_TYPES, accept_multiple_files=True, key="train_uploads"
    )
    size = st.selectbox("Train at", list(SIZES), key=keep("train_size", next(iter(SIZES))))
    if uploads:
        data, notes = uploaded_set(uploads, SIZES[size])
        st.session_state[keys.TRAIN_SET_NAME] = Path(uploads[0].name).stem
    elif keys.TRAIN_SET in st.session_state and st.session_state["train_set_key"][1] == SIZES[size]:
        data, notes = st.session_state[keys.TRAIN_SET]  # the last upload, after a visit to another page
        st.caption(
            f"Using your last upload ({plain(st.session_state[keys.TRAIN_SET_NAME])}); drop files above to replace it."
        )
    else:
        st.info("Upload a .zip (sub-folders become labels) or at least 10 images.")
        return None, ""
    for note in notes:
        st.caption(plain(note))
    return data, st.session_state[keys.TRAIN_SET_NAME]


def choose_builtin():
    sources = {"digits": "scikit-learn's 8x8 digits (1,797)"}
    sources |= {
        e.id: f"{e.dataset} test images shipped with {e.id}"
        for e in model_entries()[0]
        if e.kind == "image" and not e.own and e.id.endswith("conv_vae")
    }
    source = st.selectbox("Built-in set", list(sources), format_func=sources.get, key=keep("train_builtin", "digits"))
    text = st.text_input("Only these classes (comma-separated numbers, empty = all)", key=keep("train_classes", ""))
    n_images = st.slider("At most this many images", 100, 2000, step=100, key=keep("train_n", 2000))
    entries = [t.strip() for t in text.split(",") if t.strip()]
    wanted = [v for t in entries if (v := index_from_text(t, MAX_CLASSES)) is not None]
    data = builtin_set(source, wanted, n_images)
    present = set(np.concatenate([data.y_train.numpy(), data.y_test.numpy()]).tolist())
    ignored = [t[:20] for t in entries if index_from_text(t, MAX_CLASSES) not in present]
    if ignored:
        st.warning(f"Ignored: {plain(', '.join(ignored))} (the classes here are 0 to {len(data.class_names) - 1}).")
    return data, f"{source.split('_')[0]}{''.join(map(str, sorted(present) if wanted else []))}"


def choose_data():
    """The training set and a name for the model, or None while the user has not chosen."""
    source = st.radio("Images", ["Upload", "Built-in"], horizontal=True, key=keep("train_source", "Upload"))
    return choose_upload() if source == "Upload" else choose_builtin()


def choose_model(data):
    names = [n for n, cls in sorted(MODELS.items()) if cls.for_images and (data.n_classes or not cls.is_conditional)]
    left, mid, right = st.columns(3)
    if st.session_state.get(keys.KEPT_TRAIN_MODEL) not in names:
        st.session_state.pop(keys.KEPT_TRAIN_MODEL, None)
    name = left.selectbox("Model", names, key=keep("train_model", "conv_vae"))
    latent_dim = mid.slider("Latent size", 2, 32, key=keep("train_latent", 8))
    epochs = right.slider("Epochs", 1, 50, key=keep("train_epochs", 10))
    config = {"image_shape": list(data.image_shape), "latent_dim": latent_dim}
    if MODELS[name].is_conditional:
        config["n_classes"] = data.n_classes
    if MODELS[name].is_variational:
        config["beta"] = left.slider("beta (weight of the KL term)", 0.1, 4.0, step=0.1, key=keep("train_beta", 1.0))
    denoise = mid.checkbox("Denoising", help="learn to remove Gaussian noise", key=keep("train_denoise", False))
    return name, config, TrainConfig(epochs=epochs, batch_size=64, denoise="gaussian:0.3" if denoise else None)


def start(data, label: str, name: str, config: dict, train_config: TrainConfig) -> None:
    st.session_state.pop(keys.TRAIN_DONE, None)
    st.session_state.pop(keys.TRAIN_REFUSED, None)
    model = build_model(name, **config)
    n_parameters = sum(p.numel() for p in model.parameters())
    need = training_need_mb(len(data.x_train) + len(data.x_test), data.image_shape, n_parameters)
    slots = job_slots()
    try:  # refused with the numbers rather than letting the server's memory cap kill everyone's session
        what = f"training on {len(data.x_train):,} images"
        require_room(need, what, smaller="fewer or smaller images", returned_mb=slots.reserved_mb)
    except NotEnoughMemory as exc:
        st.session_state[keys.TRAIN_REFUSED] = str(exc)
        return
    st.session_state[keys.TRAIN_LABEL] = label
    # One intra-op thread per job, as the server decodes with: at these sizes a second one gains
    # little (a 28x28 conv VAE: 3.1 s vs 3.3 s for two epochs here), and the other sessions keep a core.
    st.session_state[keys.TRAIN_JOB] = TrainingJob(
        model, data, train_config, slots=slots, alive=session_alive(), need_mb=need
    ).start()  # (it checks the memory again when its turn comes)


def session_alive():
    """The training thread stops by itself when this browser session ends (tab closed). Under
    AppTest a runtime exists only while a script runs: no runtime, no verdict."""
    session_id = get_script_run_ctx().session_id
    return lambda: not runtime.exists() or runtime.get_instance().is_active_session(session_id)


def running(job) -> bool:
    return job is not None and job.snapshot().status in ("queued", "training", "mapping")


def watch_progress(job, label: str, was_running: bool) -> None:
    """The progress bar, refreshed every second; when training ends, the whole page reruns."""
    snapshot = job.snapshot()
    if snapshot.status == "queued":
        st.progress(
            0.0,
            text=f"Queued, number {snapshot.queue_place} in line: this server trains "
            f"{job.slots.n_slots} model(s) at a time…",
        )
    else:
        training = snapshot.status == "training" and snapshot.seconds_left is not None
        left = f", about {snapshot.seconds_left:.0f} s left" if training else ""
        st.progress(
            snapshot.fraction,
            text=f"{snapshot.status.capitalize()}: epoch {snapshot.epoch}/"
            f"{snapshot.n_epochs}, {snapshot.seconds:.0f} s{left}",
        )
    if snapshot.status == "refused":
        st.error(plain(snapshot.message))
    if snapshot.status == "failed":
        st.error(f"Training failed: {plain(snapshot.message)}")
    if snapshot.status == "cancelled":
        st.warning(f"Cancelled: {snapshot.message}.")
    finished = snapshot.status in ("done", "cancelled") and job.checkpoint is not None
    if finished and keys.TRAIN_DONE not in st.session_state:
        st.session_state[keys.TRAIN_DONE] = add_user_model(label, job.checkpoint, job.bundle, job.checkpoint_bytes)
        _save_for_self_hosting(st.session_state[keys.TRAIN_DONE], job.checkpoint_bytes)
    if was_running and not running(job):
        st.rerun()  # the page as a whole: the charts stop refreshing, the result appears


def watch_charts(job) -> None:
    """Loss curves and the latest reconstructions and samples, refreshed every two seconds (an
    epoch of 2,000 small images takes about that long here)."""
    snapshot = job.snapshot()
    columns = st.columns([3, 2])
    if snapshot.history:
        columns[0].plotly_chart(loss_curves(snapshot.history), key=f"loss_{len(snapshot.history)}")
    if snapshot.preview is not None:
        rows = "test images, reconstructions" + (", new samples" if job.model.is_variational else "")
        show(columns[1], snapshot.preview, 300, caption=f"after epoch {snapshot.epoch}: {rows}", width="stretch")


def _save_for_self_hosting(model_id: str, data: bytes) -> None:
    """Self-hosted installs may keep trained models for everyone: AELIB_SAVE_TRAINED=1."""
    if os.environ.get("AELIB_SAVE_TRAINED") == "1":
        (zoo.checkpoint_dir() / f"{model_id}.safetensors").write_bytes(data)


def open_uploaded_model(upload) -> None:
    """A .safetensors downloaded from here earlier: validated exactly as the shipped ones."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        checkpoint = open_checkpoint(path)
    kind = checkpoint.header["dataset"].get("kind", "image")
    if kind != "image" or not checkpoint.model.for_images or checkpoint.bundle.codes is None:
        raise AelibError(
            f"{upload.name}: not an image model with an explorer bundle"
            + (f" (it is a {kind} model: the shipped {kind} models are on their own pages)" if kind != "image" else "")
        )
    bundle = checkpoint.bundle
    name = re.sub(r"_\d+$", "", Path(upload.name).stem.removeprefix("yours_"))
    add_user_model(name, checkpoint, bundle, upload.getvalue())


job = st.session_state.get(keys.TRAIN_JOB)
data_column, model_column = st.columns(2)
with data_column:
    st.subheader("1. Images")
    try:
        data, label = choose_data()
    except AelibError as exc:
        st.error(plain(str(exc)))
        data, label = None, ""
    if data is not None:
        shape = " x ".join(map(str, data.image_shape[1:])) + (" colour" if data.image_shape[0] == 3 else " grey")
        n_labels = len(set(data.y_train.tolist())) if data.y_train is not None else 0
        classes = f", {n_labels} classes" if n_labels else ", no labels"
        st.caption(f"{len(data.x_train)} training and {len(data.x_test)} test images, {shape}{classes}")
        if len(data.x_train) < 300:
            st.warning(
                f"Only {len(data.x_train)} training images: expect blurry, samey reconstructions. "
                "A few hundred images per class teach a model much more."
            )
        show_images(data.x_test[:8].permute(0, 2, 3, 1).squeeze(-1).numpy(), height=60, n_cols=8)
with model_column:
    st.subheader("2. Model")
    if data is not None:
        name, config, train_config = choose_model(data)
        st.button(
            "Train",
            type="primary",
            disabled=running(job),
            key="train_go",
            on_click=start,
            args=(data, label, name, config, train_config),
        )  # a callback: the rerun sees the job
        if refused := st.session_state.get(keys.TRAIN_REFUSED):
            st.error(plain(refused))

if job is not None:
    st.subheader("3. Training")
    active = running(job)
    if active:
        st.button(
            "Cancel",
            key="train_cancel",
            on_click=job.cancel,
            help="stops before the next batch; the model of the last finished epoch is kept",
        )
    st.fragment(run_every=1.0 if active else None)(watch_progress)(
        job, st.session_state.get(keys.TRAIN_LABEL, "model"), active
    )
    st.fragment(run_every=2.0 if active else None)(watch_charts)(job)
if st.session_state.get(keys.TRAIN_DONE):
    model_id = st.session_state[keys.TRAIN_DONE]
    with st.container(border=True):  # one message: ready, where it is kept and for how long, the download
        kept = st.session_state.get(keys.KEPT_NOTE, "")
        st.success(f"{model_id} is ready, and is now the active model on every page. {kept}")
        st.download_button(
            "Download the model (.safetensors) to keep it longer",
            job.checkpoint_bytes,
            f"{model_id}.safetensors",
            mime="application/octet-stream",
            key="train_download",
        )
        links = st.columns(4)
        for column, key in zip(links, ("generate", "latent_map", "interpolate", "reconstruct"), strict=False):
            page = PAGE_BY_KEY[key]
            column.page_link(page.path, label=page.title, icon=page.icon, query_params=link_query(key))

if kept := kept_files():
    with st.expander(f"Your models kept for this browser ({len(kept)}), for {kept_for()}"):
        for path in kept:
            st.download_button(
                f"Download {path.stem} ({path.stat().st_size / 2**20:.1f} MB)",
                data=lambda path=path: path.read_bytes(),  # read on click, not on every run
                file_name=path.name,
                mime="application/octet-stream",
                key=f"kept_{path.stem}",
            )

with st.expander("Open a model you trained here before (.safetensors)"):
    upload = st.file_uploader("Checkpoint", type=["safetensors"], key="train_checkpoint")
    if upload is not None and st.session_state.get("train_opened") != upload.file_id:
        try:
            open_uploaded_model(upload)
            st.session_state["train_opened"] = upload.file_id
            st.success(
                f"{plain(upload.name)} is open and is the active model on every page. "
                + st.session_state.get("kept_note", "")
            )
        except AelibError as exc:
            st.error(plain(str(exc)))

remember()  # this page's choices, for the next visit
