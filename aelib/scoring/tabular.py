"""A small dense autoencoder for table rows: fit on (normal) rows, score every row and feature."""

from __future__ import annotations

import numpy as np
import torch

from ..datasets.base import ImageData, as_rows
from ..errors import DataError
from ..models.dense import DenseAE, DenseConfig
from ..training.train import TrainConfig, fit
from .anomaly import squared_error


def train_table_ae(
    features: np.ndarray,
    train_mask: np.ndarray | None = None,
    latent_dim: int = 4,
    hidden: int = 32,
    epochs: int = 30,
    seed: int = 0,
    callback=None,
    max_rows: int = 20000,
):
    """Fit a small dense AE on z-scored rows (only those in train_mask, e.g. the normal ones).
    Returns (model, mean, std) so new rows can be scaled the same way. features: (N, D)."""
    features = np.asarray(features, np.float64)  # statistics of values near float32's limit overflow in float32
    rows = features if train_mask is None else features[train_mask]
    rows = rows[:max_rows]
    # Scale by the training rows' spread, floored at a tenth of the whole table's: a feature that is
    # (nearly) constant among normal rows would otherwise turn any deviation into an astronomic z-score.
    overall = features.std(0)
    overall = np.where(overall > 1e-8, overall, 1.0)
    mean, std = rows.mean(0), np.maximum(rows.std(0), 0.1 * overall)
    bad = ~(np.isfinite(mean) & np.isfinite(std) & (np.abs(mean) < 1e30) & (std < 1e30))
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} column(s) (the first is column {int(np.argmax(bad)) + 1}) have values too large "
            "to scale (mean or spread beyond 1e30): rescale them or drop those rows"
        )
    mean, std = mean.astype(np.float32), std.astype(np.float32)
    x = as_rows((rows - mean) / std)
    torch.manual_seed(seed)
    config = DenseConfig(
        image_shape=(1, 1, features.shape[1]),
        latent_dim=min(latent_dim, features.shape[1]),
        hidden=(hidden,),
        likelihood="gaussian",
        output="identity",
        sigma=1.0,
    )
    model = DenseAE(config)
    data = ImageData("table", x, x[:1], info={"kind": "table"})
    fit(model, data, TrainConfig(epochs=epochs, batch_size=64, seed=seed, val_fraction=0.05), callback=callback)
    return model, mean.astype(np.float32), std


@torch.no_grad()
def row_errors(model, features: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Squared reconstruction error per row and feature, in z-scored units: (N, D)."""
    x = as_rows((features - mean) / std)
    recon = model.reconstruct(x)
    return squared_error(recon, x)[:, 0, 0].numpy()
