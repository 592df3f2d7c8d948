"""Datasets: every loader returns an ImageData (whole splits as in-memory tensors).

    from aelib.datasets import load_dataset, list_datasets
    data = load_dataset("mnist", "data", download=True)   # x_train: (60000, 1, 28, 28) in [0, 1]

images: MNIST, Fashion-MNIST, Frey, Olivetti, digits; folders: a user's image folder or .zip,
CelebA; series: ECG5000; tables: the ODDS sets and a user's CSV. Importing this package
registers them all.
"""

from . import folders, images, series, tables  # noqa: F401  (each registers its loaders)
from .base import ImageData, from_uint8, keep_classes, list_datasets, load_dataset, split

__all__ = ["ImageData", "from_uint8", "keep_classes", "list_datasets", "load_dataset", "split"]
