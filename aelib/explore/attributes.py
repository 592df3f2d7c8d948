"""Properties measured on images, for naming directions in latent space (aelib.explore.directions).

Every measure takes images (N, H, W) or (N, C, H, W), float in [0, 1] or uint8 (colour is
averaged to grey), and returns (N,) float64, one number per image (`measure` works through 500
images at a time, in float32, so a whole bundle costs the server little memory):

  thickness  digits: mean stroke thickness in px, the width of the rectangle with the ink's area
             and perimeter (Morpho-MNIST, Castro et al. 2019, measures it on the skeleton instead)
  slant      digits: the ink's shear in degrees, from its second moments; positive leans right
  width      digits: the ink's horizontal extent in px once the slant is taken out, sqrt(12) times
             the sheared-back standard deviation (exact for a uniform bar)
  height     digits: the ink's vertical extent in px, sqrt(12) times its standard deviation
  brightness any image: the mean grey level in [0, 1]
  lighting   faces: right half's mean grey minus the left half's (the viewer's left and right),
             positive when the light comes from the right of the picture

Digits are light ink on a dark background (MNIST's format), as the models see them. A code's class
is read by class_reader (its nearest codes' labels). Numpy only: scikit-learn, scipy.stats and
scikit-image would cost the app server over 100 MiB.
"""

from __future__ import annotations

import numpy as np

DIGIT_DATASETS = ("mnist", "digits")
FACE_DATASETS = ("frey", "olivetti", "celeba")


def as_gray(images: np.ndarray) -> np.ndarray:
    """(N, H, W), (N, 1, H, W), (N, 3, H, W) or (N, H, W, 3), uint8 or float -> (N, H, W) float32 in [0, 1]."""
    array = np.asarray(images)
    scale = 255.0 if array.dtype == np.uint8 else 1.0
    array = array.astype(np.float32) / np.float32(scale)
    if array.ndim == 4:
        array = array.mean(1) if array.shape[1] in (1, 3) else array.mean(-1)
    if array.ndim != 3:
        raise ValueError(f"expected a stack of images (N, H, W) or (N, C, H, W), got shape {np.shape(images)}")
    return array


def _moments(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intensity-weighted central second moments (mu20 along x, mu02 along y, mu11), each (N,)."""
    n, h, w = gray.shape
    mass = np.maximum(gray.sum((1, 2)), 1e-9)
    ys, xs = np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64)
    row, col = gray.sum(2), gray.sum(1)  # (N, H), (N, W)
    cy, cx = row @ ys / mass, col @ xs / mass
    dy, dx = ys[None] - cy[:, None], xs[None] - cx[:, None]  # (N, H), (N, W)
    mu02 = (row * dy**2).sum(1) / mass
    mu20 = (col * dx**2).sum(1) / mass
    mu11 = np.einsum("nhw,nh,nw->n", gray, dy, dx) / mass
    return mu20, mu02, mu11


def thickness(images: np.ndarray) -> np.ndarray:
    """Mean stroke thickness in px: the width t of the rectangle with the ink's area A (the sum of
    grey levels) and perimeter P (the sum of the isotropic gradient's length, forward differences),
    t = (P/2 - sqrt(P^2/4 - 4A)) / 2; a stroke twice as thick has twice the ink per unit of length
    (an upright bar w px wide reads w; a blob with no stroke reads P/4). Numpy only. (N,)."""
    gray = as_gray(images)
    padded = np.pad(gray, ((0, 0), (1, 1), (1, 1)))
    dx, dy = padded[:, 1:, 1:] - padded[:, 1:, :-1], padded[:, 1:, 1:] - padded[:, :-1, 1:]
    half = np.sqrt(dx**2 + dy**2).sum((1, 2)) / 2
    return (half - np.sqrt(np.maximum(half**2 - 4 * gray.sum((1, 2)), 0))) / 2


def slant(images: np.ndarray) -> np.ndarray:
    """The ink's slant in degrees from vertical, positive when the top leans right: atan of the
    shear -mu11 / mu02 (rows grow downwards). (N,)."""
    _, mu02, mu11 = _moments(as_gray(images))
    return np.degrees(np.arctan(-mu11 / np.maximum(mu02, 1e-9)))


def width(images: np.ndarray) -> np.ndarray:
    """Horizontal extent in px once the slant is sheared out: sqrt(12 (mu20 - mu11^2 / mu02)). (N,)."""
    mu20, mu02, mu11 = _moments(as_gray(images))
    return np.sqrt(12 * np.maximum(mu20 - mu11**2 / np.maximum(mu02, 1e-9), 0))


def height(images: np.ndarray) -> np.ndarray:
    """Vertical extent in px: sqrt(12 mu02). (N,)."""
    _, mu02, _ = _moments(as_gray(images))
    return np.sqrt(12 * mu02)


def brightness(images: np.ndarray) -> np.ndarray:
    """Mean grey level in [0, 1]. (N,)."""
    return as_gray(images).mean((1, 2))


def lighting(images: np.ndarray) -> np.ndarray:
    """Right half's mean grey minus the left half's (the middle column of an odd width is left
    out), in [-1, 1]; positive when the right of the picture is lit. (N,)."""
    gray = as_gray(images)
    half = gray.shape[2] // 2
    return gray[:, :, -half:].mean((1, 2)) - gray[:, :, :half].mean((1, 2))


MEASURES = {
    "thickness": (thickness, "px"),
    "slant": (slant, "degrees"),
    "width": (width, "px"),
    "height": (height, "px"),
    "brightness": (brightness, "grey level"),
    "lighting": (lighting, "grey level, right minus left"),
}


# Built-in directions per kind of image (measures_for has every measure that applies).
BUILTIN = {"digit": ("thickness", "slant", "width"), "face": ("brightness", "lighting"), "other": ("brightness",)}


def image_kind(dataset: str) -> str:
    """'digit', 'face' or 'other', by the dataset's name (DIGIT_DATASETS, FACE_DATASETS)."""
    return "digit" if dataset in DIGIT_DATASETS else "face" if dataset in FACE_DATASETS else "other"


def measures_for(dataset: str) -> list[str]:
    """The measures that make sense for a dataset's images: the digit measures for digits, brightness
    and lighting for faces, and brightness for any other images."""
    kind = image_kind(dataset)
    return ["thickness", "slant", "width", "height", "brightness"] if kind == "digit" else list(BUILTIN[kind])


def measure(name: str, images: np.ndarray, chunk: int = 500) -> np.ndarray:
    """MEASURES[name] on images, `chunk` at a time: (N,) float64. KeyError names the known measures."""
    if name not in MEASURES:
        raise KeyError(f"unknown measure {name!r}; known: {', '.join(MEASURES)}")
    parts = [MEASURES[name][0](images[i : i + chunk]) for i in range(0, len(images), chunk)]
    return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)


def class_reader(codes, labels, k: int = 5):
    """The class a code reads as: a function of codes (M, D) -> (M,) labels, the majority label of
    their k nearest codes (Euclidean) among codes (N, D) with labels (N,) (ties: the smaller label)."""
    codes, (classes, index) = np.asarray(codes, np.float32), np.unique(labels, return_inverse=True)
    k = min(k, len(codes))

    def read(queries: np.ndarray) -> np.ndarray:
        q = np.asarray(queries, np.float32)
        distances = (q**2).sum(1)[:, None] - 2 * q @ codes.T + (codes**2).sum(1)
        nearest = index[np.argpartition(distances, k - 1, axis=1)[:, :k]]  # (M, k)
        return classes[np.stack([np.bincount(row, minlength=len(classes)) for row in nearest]).argmax(1)]

    return read
