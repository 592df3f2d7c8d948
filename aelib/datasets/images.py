"""Image datasets in their original formats: MNIST and Fashion-MNIST idx files, Frey Face,
Olivetti faces, and scikit-learn's 8x8 digits."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from ..registry import register_dataset
from .base import ImageData, from_uint8, split

MNIST_CLASSES = [str(i) for i in range(10)]
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


# --- MNIST-style idx files -------------------------------------------------------------


def read_idx(path: Path) -> np.ndarray:
    """Read an idx file (gzipped or not) straight into numpy: works in read-only folders."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    n_dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def _find_idx(raw: Path, stem: str) -> Path | None:
    for candidate in (raw / f"{stem}.gz", raw / stem):
        if candidate.exists():
            return candidate
    return None


def _load_idx_set(root, download, folder, tv_class, class_names, name) -> ImageData:
    root = root or Path("data")
    raw = next((r for r in (root / folder / "raw", root / "raw", root) if _find_idx(r, "t10k-images-idx3-ubyte")), None)
    if raw is None and download:
        import torchvision.datasets  # heavy: only imported when a download is asked for

        for train in (True, False):
            getattr(torchvision.datasets, tv_class)(str(root), train=train, download=True)
        raw = root / folder / "raw"
    if raw is None:
        raise DataError(
            f"{name}: no idx files under {root} (expected {root / folder / 'raw'}/"
            "train-images-idx3-ubyte.gz ...); pass --download to fetch them with torchvision"
        )
    parts = {}
    for split_name, prefix in (("train", "train"), ("test", "t10k")):
        parts[f"x_{split_name}"] = from_uint8(read_idx(_find_idx(raw, f"{prefix}-images-idx3-ubyte")))
        parts[f"y_{split_name}"] = torch.from_numpy(
            read_idx(_find_idx(raw, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
        )
    return ImageData(name, class_names=class_names, **parts)


@register_dataset("mnist")
def load_mnist(root=None, download=False) -> ImageData:
    """MNIST digits, 28x28, 60k train / 10k test (torchvision layout: ROOT/MNIST/raw)."""
    return _load_idx_set(root, download, "MNIST", "MNIST", MNIST_CLASSES, "mnist")


@register_dataset("fashion_mnist")
def load_fashion_mnist(root=None, download=False) -> ImageData:
    """Fashion-MNIST, 28x28, 60k train / 10k test (ROOT/FashionMNIST/raw)."""
    return _load_idx_set(root, download, "FashionMNIST", "FashionMNIST", FASHION_CLASSES, "fashion_mnist")


# --- faces and small sets -------------------------------------------------------------


@register_dataset("frey")
def load_frey(root=None, download=False, n_test: int = 200) -> ImageData:
    """Frey Face: 1965 grayscale 28x20 frames of one face (Roweis's frey_rawface.mat)."""
    from scipy.io import loadmat

    root = root or Path("data")
    path = next((p for p in (root / "frey" / "frey_rawface.mat", root / "frey_rawface.mat") if p.exists()), None)
    if path is None:
        raise DataError(f"frey: {root}/frey/frey_rawface.mat not found (download it from Sam Roweis's data page)")
    faces = loadmat(path)["ff"].T.reshape(-1, 28, 20)
    x_train, x_test, _, _ = split(from_uint8(faces), None, n_test)
    return ImageData("frey", x_train, x_test)


@register_dataset("olivetti")
def load_olivetti(root=None, download=False, n_test: int = 40) -> ImageData:
    """Olivetti (ORL) faces: 400 images 64x64 of 40 people; a local .npy or scikit-learn's fetch."""
    root = root or Path("data")
    local = root / "olivetti" / "olivetti_faces.npy"
    if local.exists():
        images = np.load(local, allow_pickle=False)
        targets = np.load(root / "olivetti" / "olivetti_faces_target.npy", allow_pickle=False)
    else:
        from sklearn.datasets import fetch_olivetti_faces

        try:
            bunch = fetch_olivetti_faces(data_home=str(root), download_if_missing=download)
        except OSError as exc:
            raise DataError(f"olivetti: {local} not found and not downloaded ({exc})") from None
        images, targets = bunch.images, bunch.target
    x = torch.from_numpy(np.asarray(images, dtype=np.float32))[:, None]
    x_train, x_test, y_train, y_test = split(x, torch.from_numpy(targets.astype(np.int64)), n_test)
    return ImageData("olivetti", x_train, x_test, y_train, y_test, class_names=[f"person {i}" for i in range(40)])


@register_dataset("digits")
def load_digits(root=None, download=False, n_test: int = 297) -> ImageData:
    """scikit-learn's 8x8 digits (1797 images, shipped inside scikit-learn): tests and quick demos."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    x = torch.from_numpy(bunch.images.astype(np.float32) / 16.0)[:, None]
    x_train, x_test, y_train, y_test = split(x, torch.from_numpy(bunch.target.astype(np.int64)), n_test)
    return ImageData("digits", x_train, x_test, y_train, y_test, class_names=MNIST_CLASSES)
