"""Tiny checkpoints with bundles, trained in seconds on scikit-learn's digits, for the app tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from aelib import TrainConfig, build_model, fit, save_checkpoint
from aelib.datasets import ImageData, keep_classes, load_dataset
from aelib.io.build import build_bundle
from labapp.frame import PAGES

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = {page.key: page.path for page in PAGES}


def open_page(app, page: str, model: str | None = None):
    """Open Home (with ?model= when given), then switch to `page` as a page link would."""
    if model:
        app.query_params["model"] = model
    app.run()
    if page != "home":
        app.switch_page(PAGE_FILES[page])
        app.run()
    assert not app.exception, app.exception
    return app


def shown_images(app, caption: str = "") -> list[str]:
    """Media URLs of the images on the page whose caption contains `caption`. Streamlit names a
    media file by a hash of its bytes, so the URL changes exactly when the pixels do."""
    return [
        url
        for element in app.get("image")
        for url, text in zip(element.value, element.captions, strict=True)
        if caption in text
    ]


TINY_MODELS = {
    # id: (model, config, train options)
    "digits_vae2d": ("vae", {"latent_dim": 2, "hidden": (32,)}, {}),
    "digits_cvae": ("cvae", {"latent_dim": 3, "channels": (8,), "fc_hidden": 32, "n_classes": 10}, {}),
    "digits_dae": ("conv_ae", {"latent_dim": 6, "channels": (8,), "fc_hidden": 32}, {"denoise": "gaussian:0.3"}),
    "digits_ae": ("ae", {"latent_dim": 4, "hidden": (32,)}, {}),
    "digits_oneclass": ("ae", {"latent_dim": 3, "hidden": (32,)}, {"keep": [0]}),
}


def make_tiny_checkpoints(directory: Path, epochs: int = 3) -> Path:
    digits = load_dataset("digits")
    for model_id, (name, config, options) in TINY_MODELS.items():
        torch.manual_seed(0)
        data = keep_classes(digits, options["keep"]) if "keep" in options else digits
        model = build_model(name, image_shape=data.image_shape, **config)
        train_config = TrainConfig(epochs=epochs, batch_size=64, denoise=options.get("denoise"))
        state = fit(model, data, train_config)
        bundle = build_bundle(model, data, n_samples=120, ood_data=digits if name == "ae" else None)
        header = {
            "dataset": {
                "name": "digits",
                "image_shape": list(data.image_shape),
                "n_train": len(data.x_train),
                "n_test": len(data.x_test),
                "class_names": data.class_names,
                "keep_classes": options.get("keep"),
            },
            "train_config": train_config.__dict__,
            "history": state.history,
            "epoch": state.epoch,
            "wall_time_s": state.wall_time_s,
            "complete": True,
            "metrics": {"mse_per_pixel": 0.05},
            "bundle_info": {"ood_dataset": "digits" if name == "ae" else None},
        }
        save_checkpoint(directory / f"{model_id}.safetensors", model, header, bundle=bundle)
    make_unlabelled_and_bundleless_checkpoints(directory, digits)
    make_colour_checkpoint(directory, digits)
    make_series_and_table_checkpoints(directory)
    return directory


def make_unlabelled_and_bundleless_checkpoints(directory: Path, digits) -> None:
    """Like Frey Face (no labels), and a checkpoint whose bundle was never built."""
    unlabelled = ImageData("frey", digits.x_train, digits.x_test)
    torch.manual_seed(0)
    model = build_model("vae", image_shape=unlabelled.image_shape, latent_dim=2, hidden=(16,))
    state = fit(model, unlabelled, TrainConfig(epochs=2, batch_size=64))
    header = {
        "dataset": {
            "name": "frey",
            "image_shape": list(unlabelled.image_shape),
            "n_train": 1500,
            "n_test": 297,
            "class_names": None,
            "keep_classes": None,
        },
        "train_config": {},
        "history": state.history,
        "epoch": state.epoch,
        "wall_time_s": 1.0,
        "complete": True,
        "metrics": {},
    }
    save_checkpoint(
        directory / "tiny_unlabelled.safetensors", model, header, bundle=build_bundle(model, unlabelled, n_samples=80)
    )
    save_checkpoint(directory / "tiny_nobundle.safetensors", model, header)


def make_colour_checkpoint(directory: Path, digits) -> None:
    """A conv VAE on RGB images (each class its own tint), like a user's colour photos."""
    tints = torch.rand(10, 3, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.2
    colour = ImageData(
        "user_images",
        digits.x_train * tints[digits.y_train][:, :, None, None],
        digits.x_test * tints[digits.y_test][:, :, None, None],
        digits.y_train,
        digits.y_test,
        digits.class_names,
    )
    torch.manual_seed(0)
    model = build_model("conv_vae", image_shape=colour.image_shape, latent_dim=3, channels=(8,), fc_hidden=32)
    state = fit(model, colour, TrainConfig(epochs=2, batch_size=64))
    header = {
        "dataset": {"name": "user_images", "image_shape": list(colour.image_shape), "class_names": colour.class_names},
        "history": state.history,
        "epoch": state.epoch,
    }
    save_checkpoint(
        directory / "tiny_colour.safetensors", model, header, bundle=build_bundle(model, colour, n_samples=80)
    )


def synthetic_beats(n: int, seed: int = 0):
    """Sine-shaped 'beats' (label 1, normal) and jagged ones (label 2, abnormal): (N,1,1,32), labels."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, 32)
    normal = np.sin(t)[None] * rng.uniform(0.8, 1.2, (n, 1)) + 0.05 * rng.normal(size=(n, 32))
    abnormal = rng.normal(0, 1, (n // 4, 32))
    x = np.vstack([normal, abnormal]).astype(np.float32)[:, None, None, :]
    return torch.from_numpy(x), torch.from_numpy(np.r_[np.ones(n), np.full(n // 4, 2)].astype(np.int64))


def make_series_and_table_checkpoints(directory: Path) -> None:
    x, y = synthetic_beats(160)
    series = ImageData("ecg5000", x, x, y, y, ["abnormal, class unknown", "normal", "PVC"], info={"kind": "series"})
    rng = np.random.default_rng(1)
    rows = torch.from_numpy(rng.normal(size=(200, 1, 1, 6)).astype(np.float32))
    table = ImageData(
        "odds_cardio",
        rows,
        rows,
        torch.from_numpy((np.arange(200) % 10 == 0).astype(np.int64)),
        torch.from_numpy((np.arange(200) % 10 == 0).astype(np.int64)),
        ["inlier", "outlier"],
        info={"kind": "table"},
    )
    real = {"likelihood": "gaussian", "output": "identity", "sigma": 1.0}
    for model_id, name, data, keep, config in (
        ("tiny_ecg", "conv1d_ae", series, [1], {"latent_dim": 4, "channels": (8, 8), **real}),
        ("tiny_table", "ae", table, [0], {"latent_dim": 2, "hidden": (8,), **real}),
    ):
        torch.manual_seed(0)
        train_data = keep_classes(data, keep)
        model = build_model(name, image_shape=data.image_shape, **config)
        state = fit(model, train_data, TrainConfig(epochs=5, batch_size=32))
        bundle = build_bundle(model, data, n_samples=100, n_train_scores=50)
        header = {
            "dataset": {
                "name": data.name,
                "image_shape": list(data.image_shape),
                "n_train": len(data.x_train),
                "n_test": len(data.x_test),
                "class_names": data.class_names,
                "keep_classes": keep,
                "kind": data.kind,
            },
            "train_config": {},
            "history": state.history,
            "epoch": state.epoch,
            "wall_time_s": 1.0,
            "complete": True,
            "metrics": {"anomaly_auc": 0.9, "isolation_forest_auc": 0.8},
        }
        save_checkpoint(directory / f"{model_id}.safetensors", model, header, bundle=bundle)
