"""The one dataset type, ImageData, and what every loader shares.

Every loader returns whole splits as in-memory tensors. Why in memory: indexing one (N, C, H, W)
tensor per batch avoids a PIL transform per sample, which dominates CPU training time for images
this small (see benchmarks/train_speed.py). Series and tables use the same layout with C = H = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from ..registry import DATASETS, get_dataset_loader


@dataclass
class ImageData:
    """x_*: (N, C, H, W) float32 in [0, 1]; y_*: (N,) int64 or None when unlabelled."""

    name: str
    x_train: torch.Tensor
    x_test: torch.Tensor
    y_train: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    class_names: list[str] | None = None
    info: dict = field(default_factory=dict)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    @property
    def kind(self) -> str:
        """One of "image", "series", "table": how the app shows an item."""
        return self.info.get("kind", "image")

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.class_names else 0

    def card(self) -> dict:
        """The dataset section of a checkpoint's header (its card)."""
        return {
            "name": self.name,
            "image_shape": list(self.image_shape),
            "n_train": len(self.x_train),
            "n_test": len(self.x_test),
            "class_names": self.class_names,
            "kind": self.kind,
        }


def load_dataset(name: str, root: str | Path | None = None, download: bool = False, **options) -> ImageData:
    """Load a registered dataset by name; options go to its loader (e.g. image_size=64)."""
    loader = get_dataset_loader(name)
    return loader(root=Path(root) if root else None, download=download, **options)


def list_datasets() -> dict[str, str]:
    """name -> first line of the loader's docstring."""
    return {name: (fn.__doc__ or "").strip().splitlines()[0] for name, fn in sorted(DATASETS.items())}


def from_uint8(images: np.ndarray) -> torch.Tensor:
    """(N, H, W) or (N, H, W, C) uint8 -> (N, C, H, W) float32 in [0, 1]."""
    array = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.array(array, dtype=np.float32)).div_(255.0)


def split(x: torch.Tensor, y, n_test: int, seed: int = 0):
    """Seeded random train/test split for sets that ship without one."""
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    test, train = order[:n_test], order[n_test:]
    return x[train], x[test], take(y, train), take(y, test)


def take(labels: torch.Tensor | None, index: torch.Tensor) -> torch.Tensor | None:
    """labels[index], or None for unlabelled data."""
    return None if labels is None else labels[index]


def keep_classes(data: ImageData, classes: list[int]) -> ImageData:
    """Restrict the *training* split to some classes (one-class anomaly models); test stays whole."""
    if data.y_train is None:
        raise DataError(f"{data.name} has no labels, so --keep-classes cannot be used")
    mask = torch.isin(data.y_train, torch.tensor(classes))
    return ImageData(
        data.name,
        data.x_train[mask],
        data.x_test,
        data.y_train[mask],
        data.y_test,
        data.class_names,
        {**data.info, "keep_classes": classes},
    )


def as_rows(values: np.ndarray) -> torch.Tensor:
    """(N, D) -> (N, 1, 1, D) float32 tensor: the layout of series and table rows."""
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))[:, None, None, :]


def standardise(x_train: torch.Tensor, *others: torch.Tensor):
    """z-score every feature with the training split's mean and std (constant features: std 1)."""
    mean, std = x_train.mean(0, keepdim=True), x_train.std(0, keepdim=True)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    return [(t - mean) / std for t in (x_train, *others)]


def from_images(
    name: str,
    images: np.ndarray,
    labels: np.ndarray | None = None,
    class_names: list[str] | None = None,
    classes: list[int] | None = None,
    n_images: int = 0,
    test_fraction: float = 0.1,
    seed: int = 0,
) -> ImageData:
    """An ImageData from uint8 images (N, C, H, W) (e.g. an explorer bundle's test sample): only
    `classes` when given, at most n_images (0 = all), split seeded into train and test."""
    keep = np.arange(len(images)) if labels is None or not classes else np.flatnonzero(np.isin(labels, classes))
    if n_images:
        keep = np.random.default_rng(seed).permutation(keep)[:n_images]
    if len(keep) < 10:
        raise DataError(f"{name}: {len(keep)} images left after choosing classes; at least 10 are needed")
    x = torch.from_numpy(images[np.sort(keep)].astype(np.float32) / 255.0)
    y = None if labels is None else torch.from_numpy(labels[np.sort(keep)].astype(np.int64))
    x_train, x_test, y_train, y_test = split(x, y, max(1, round(len(x) * test_fraction)), seed)
    return ImageData(name, x_train, x_test, y_train, y_test, class_names if y is not None else None)
