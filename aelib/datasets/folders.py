"""Loaders for folders of image files: a user's own images, and CelebA's folder layout."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import DataError
from ..registry import register_dataset
from .base import ImageData, from_uint8, split

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff"}


def _to_array(source, image_size: int, channels: int) -> np.ndarray:
    with Image.open(source) as image:
        image = image.convert("L" if channels == 1 else "RGB")
        image = _center_square(image).resize((image_size, image_size), Image.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


def _center_square(image: Image.Image) -> Image.Image:
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return image.crop((left, top, left + side, top + side))


def _iter_images(root: Path):
    """Yield (relative name, file-like) from a folder or a .zip, sorted by name."""
    if root.suffix.lower() == ".zip":
        with zipfile.ZipFile(root) as archive:
            for name in sorted(archive.namelist()):
                if Path(name).suffix.lower() in IMAGE_SUFFIXES and not name.startswith("__MACOSX"):
                    yield name, io.BytesIO(archive.read(name))
    else:
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                yield str(path.relative_to(root)), path


@register_dataset("image_folder")
def load_image_folder(
    root=None,
    download=False,
    image_size: int = 28,
    channels: int = 1,
    test_fraction: float = 0.1,
    max_images: int = 20000,
) -> ImageData:
    """Your own images: a folder or .zip; sub-folders become class labels; centre-cropped, resized."""
    if root is None or not Path(root).exists():
        raise DataError(f"image_folder: {root} does not exist (give --data-root a folder or .zip of images)")
    arrays, labels, skipped = [], [], []
    for name, source in _iter_images(Path(root)):
        try:
            arrays.append(_to_array(source, image_size, channels))
        except (OSError, ValueError, Image.DecompressionBombError):
            skipped.append(name)
            continue
        labels.append(str(Path(name).parent))
        if len(arrays) >= max_images:
            break
    if len(arrays) < 2:
        raise DataError(f"image_folder: found {len(arrays)} readable images in {root} (need at least 2)")
    class_names = sorted(set(labels))
    y = torch.tensor([class_names.index(label) for label in labels]) if len(class_names) > 1 else None
    n_test = max(1, int(round(len(arrays) * test_fraction)))
    x_train, x_test, y_train, y_test = split(from_uint8(np.stack(arrays)), y, n_test)
    return ImageData(
        "image_folder",
        x_train,
        x_test,
        y_train,
        y_test,
        class_names=class_names if y is not None else None,
        info={"skipped": skipped},
    )


@register_dataset("celeba")
def load_celeba(root=None, download=False, image_size: int = 64, max_images: int = 20000) -> ImageData:
    """CelebA faces (torchvision layout ROOT/celeba/img_align_celeba + list_eval_partition.txt), RGB."""
    root = Path(root or "data")
    folder = root / "celeba"
    if not (folder / "img_align_celeba").is_dir():
        if not download:
            raise DataError(f"celeba: {folder}/img_align_celeba not found; pass --download (torchvision)")
        import torchvision.datasets

        torchvision.datasets.CelebA(str(root), split="all", download=True)
    partition = {}
    for line in (folder / "list_eval_partition.txt").read_text().split("\n"):
        if line.strip():
            name, part = line.split()
            partition[name] = int(part)
    names = sorted(partition)[:max_images]
    arrays = [_to_array(folder / "img_align_celeba" / n, image_size, 3) for n in names]
    x = from_uint8(np.stack(arrays))
    is_test = torch.tensor([partition[n] == 2 for n in names])
    if is_test.all() or not is_test.any():
        x_train, x_test, _, _ = split(x, None, max(1, len(x) // 10))
    else:
        x_train, x_test = x[~is_test], x[is_test]
    return ImageData("celeba", x_train, x_test)
