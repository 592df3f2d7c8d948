"""aelib: autoencoders and VAEs you can train, save, load, evaluate and explore.

    from aelib import build_model, load_dataset, fit, TrainConfig, save_checkpoint, load_checkpoint
    data = load_dataset("digits")
    model = build_model("conv_vae", image_shape=data.image_shape, latent_dim=4)
    fit(model, data, TrainConfig(epochs=5))

aelib never imports Streamlit; the app in pages/ is a thin layer over it.
"""

from . import models  # noqa: F401  (registers every model)
from .datasets import ImageData, load_dataset
from .errors import AelibError, CheckpointError, DataError, ImageDecodeError, UnknownNameError
from .io.checkpoint import (
    Checkpoint,
    load_bundle,
    load_checkpoint,
    open_checkpoint,
    read_header,
    save_checkpoint,
)
from .registry import DATASETS, MODELS, build_model, register_dataset, register_model
from .training.train import TrainConfig, TrainState, fit

__version__ = "0.1.0"

__all__ = [
    "AelibError",
    "Checkpoint",
    "CheckpointError",
    "DATASETS",
    "DataError",
    "ImageData",
    "ImageDecodeError",
    "MODELS",
    "TrainConfig",
    "TrainState",
    "UnknownNameError",
    "build_model",
    "fit",
    "load_bundle",
    "load_checkpoint",
    "load_dataset",
    "open_checkpoint",
    "read_header",
    "register_dataset",
    "register_model",
    "save_checkpoint",
]
