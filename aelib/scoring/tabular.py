"""A small dense autoencoder for table rows: fit on (normal) rows, score every row and feature."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..datasets.base import ImageData, as_rows
from ..errors import DataError
from ..models.dense import DenseAE, DenseConfig
from ..training.train import TrainConfig, fit
from .anomaly import squared_error

MAX_LATENT = 16  # the widest code the page offers
WIDE_TABLE_LATENT = 4  # the default for wide tables: ODDS cardio (21 columns) scored AUC 0.943 with 4, 0.834 with 7


def default_latent(n_columns: int) -> int:
    """The bottleneck for a table of n_columns: about a third of them (5 -> 2, 9 -> 3), at most
    WIDE_TABLE_LATENT. A code nearly as wide as the row (4 numbers for 5 columns) lets the network
    pass every row through almost unchanged, outliers included, so nothing stands out."""
    return max(1, min(WIDE_TABLE_LATENT, round(n_columns / 3)))


def too_wide(latent_dim: int, n_columns: int) -> bool:
    """Whether a bottleneck of latent_dim keeps more than half of n_columns: then the autoencoder can
    rebuild most rows, shifted ones too, and reconstruction error ranks them poorly."""
    return latent_dim > n_columns / 2


@dataclass
class TableModel:
    """A small dense autoencoder fitted on z-scored table rows, with the scaling it learnt."""

    model: DenseAE
    mean: np.ndarray  # (D,) the training rows' mean
    std: np.ndarray  # (D,) their spread (floored, see fit)

    @torch.no_grad()
    def row_errors(self, features: np.ndarray) -> np.ndarray:
        """Squared reconstruction error per row and feature, in z-scored units: (N, D) -> (N, D)."""
        x = as_rows((features - self.mean) / self.std)
        return squared_error(self.model.reconstruct(x), x)[:, 0, 0].numpy()

    @classmethod
    def fit(
        cls,
        features: np.ndarray,
        train_mask: np.ndarray | None = None,
        latent_dim: int | None = None,
        hidden: int = 32,
        epochs: int = 30,
        seed: int = 0,
        callback=None,
        max_rows: int = 20000,
    ) -> TableModel:
        """Fit on z-scored rows: features (N, D); train_mask (N,) bool, the rows to fit on (e.g. the
        normal ones; all when None); at most max_rows of them. latent_dim: default_latent(D) when None."""
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
            latent_dim=min(latent_dim or default_latent(features.shape[1]), features.shape[1]),
            hidden=(hidden,),
            likelihood="gaussian",
            output="identity",
            sigma=1.0,
        )
        model = DenseAE(config)
        data = ImageData("table", x, x[:1], info={"kind": "table"})
        fit(model, data, TrainConfig(epochs=epochs, batch_size=64, seed=seed, val_fraction=0.05), callback=callback)
        return cls(model, mean, std)
