"""A user's photo or drawing made to look like the training data, step by step.

Digits follow MNIST's own recipe (LeCun et al. 1998) on a real photo: flatten the lighting, find
the ink and decide which of it is the digit (aelib.preprocess.ink), give the strokes MNIST's width, fit the
glyph into a 20x20 box and centre its mass in 28x28. Clothes are segmented from their background
and fitted to the frame like Fashion-MNIST; faces are found with scikit-image's frontal-face
cascade and cropped to the dataset's framing. Every step is kept, so the app can show what the
model was given and why. Images are (H, W) float32 in [0, 1]; for digits and clothes the result
is light-on-dark like the training data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..errors import ImageDecodeError
from .imaging import resize, shrink_to
from .ink import dark_ink, find_ink, stroke_width

WORK_SIDE = 1024  # photos are reduced to this longest side first (thin strokes survive)
MNIST_BOX = 20  # MNIST fits each digit into 20x20 inside 28x28
# Stroke width of MNIST digits, in pixels of the 28x28 frame: twice the distance transform on the
# skeleton of the >0.5 mask, median 2.0 and quartiles 2.0-2.8 over 1,000 test digits (measured
# with the bundle of checkpoints/mnist_conv_ae.safetensors). Strokes clearly thinner than that
# (a pen line in a large photo) are thickened to it; MNIST's own digits are left as they are.
MNIST_STROKE = 2.2


@dataclass
class Prepared:
    """A preprocessed upload: `image` is the model input; `steps` the strip of intermediate
    images (label, image) that led to it; `notes` what was done or doubted, for the user."""

    image: np.ndarray
    steps: list[tuple[str, np.ndarray]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    face_box: tuple[int, int, int, int] | None = None  # (top, left, height, width) in the work image
    work_shape: tuple[int, int] | None = None  # the working copy's (H, W), for a manual crop
    # What the preparation set aside or found, for the verdict (digits: kept_share, lines_share,
    # n_parts from aelib.preprocess.ink.find_digit; faces: found, detection confidence)
    evidence: dict = field(default_factory=dict)


def working_copy(gray: np.ndarray) -> np.ndarray:
    """Reduce a large photo to WORK_SIDE on its longer side (antialiased); small images unchanged."""
    return shrink_to(gray, WORK_SIDE)


def light_on_dark(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Invert when the border (paper, studio background) is lighter than the middle. Returns
    (image, inverted). The border, not the median: a dress filling its frame is mostly dress."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    h, w = gray.shape
    centre = gray[h // 4 : h - h // 4, w // 4 : w - w // 4]
    inverted = np.median(border) > np.median(centre) or np.median(border) > 0.5
    return (1.0 - gray if inverted else gray), bool(inverted)


def mnist_glyph(mask: np.ndarray, flat: np.ndarray, notes: list[str]) -> np.ndarray:
    """Crop to the strokes; thicken thin ones to MNIST's width at the 20-px scale (from the mask),
    else keep their grey levels (stretched so the stroke peaks at 1); fit into 20x20 (area-
    averaged, so edges are anti-aliased as in MNIST) and centre by mass in 28x28."""
    from scipy import ndimage

    rows, cols = np.nonzero(mask)
    box = slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)
    crop = mask[box]
    scale = MNIST_BOX / max(crop.shape)
    width = stroke_width(crop) * scale
    if width < 0.85 * MNIST_STROKE:
        grow = (MNIST_STROKE - width) / (2 * scale)
        pad = int(np.ceil(grow)) + 1
        crop = ndimage.distance_transform_edt(~np.pad(crop, pad)) <= grow
        notes.append(f"thin strokes thickened from {width:.1f} to about {MNIST_STROKE} px (MNIST's width)")
    else:
        near = ndimage.binary_dilation(crop, iterations=max(1, round(0.5 / scale)))
        crop = np.clip(flat[box] / max(float(np.percentile(flat[box][crop], 90)), 1e-6), 0, 1) * near
    h, w = (
        max(1, round(crop.shape[0] * MNIST_BOX / max(crop.shape))),
        max(1, round(crop.shape[1] * MNIST_BOX / max(crop.shape))),
    )
    glyph = resize(crop.astype(np.float32), (h, w), Image.BOX)
    glyph = glyph / max(float(glyph.max()), 1e-6)
    canvas = np.zeros((28, 28), np.float32)
    top, left = (28 - h) // 2, (28 - w) // 2
    canvas[top : top + h, left : left + w] = glyph
    cy, cx = ndimage.center_of_mass(canvas)
    return np.clip(ndimage.shift(canvas, (13.5 - cy, 13.5 - cx), order=1, mode="constant"), 0, 1).astype(np.float32)


def shape_of(mask: np.ndarray) -> dict:
    """How stroke-like the kept marks are: fill (their share of their bounding box; a digit's
    strokes fill 10-45% of it, a filled shape far more) and thickness (the thickest part, twice the
    largest distance to the background, over the box's longer side; MNIST's about 0.15)."""
    from scipy import ndimage

    if not mask.any():
        return {"fill": 0.0, "thickness": 0.0}
    rows, cols = np.nonzero(mask)
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    thickest = 2 * float(ndimage.distance_transform_edt(np.pad(mask, 1)).max())
    return {"fill": float(mask.sum() / (height * width)), "thickness": thickest / max(height, width)}


def prepare_digit(gray: np.ndarray) -> Prepared:
    """A photo, scan or drawing of one handwritten digit -> MNIST-like (28, 28).

    A 28x28 image that is already a digit in MNIST's framing (a dark border, either way round)
    is used as it is, only made light-on-dark. Everything else: the ink found, the digit chosen
    before anything is removed (aelib.preprocess.ink.find_digit), then fitted like MNIST. `evidence` says
    how much of the upload was set aside, for the verdict."""
    inverted = dark_ink(gray)
    ink = 1.0 - gray if inverted else gray
    notes = ["dark ink on light paper: inverted to MNIST's white-on-black"] if inverted else []
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    paper, top = float(np.median(border)), float(ink.max())
    # only light-on-dark originals: a dark-on-light 28x28 drawing is not in MNIST's framing or
    # stroke width (benchmarks/real_uploads.py's drawing28: 90% through the full pipeline, 74% as it is)
    if not inverted and gray.shape == (28, 28) and top - paper > 0.3 and border.max() - paper < 0.15 * (top - paper):
        image = np.clip((ink - paper) / (top - paper), 0, 1).astype(np.float32)  # already MNIST's format
        evidence = {"kept_share": 1.0, "lines_share": 0.0, "n_parts": 1, "clutter": 0.0, **shape_of(image > 0.3)}
        notes.append("already in MNIST's format: used as it is")
        return Prepared(image, [("grey", gray), ("model input", image)], notes, evidence=evidence)
    flat, mask, evidence = find_ink(working_copy(ink))
    evidence.update(shape_of(mask))
    if mask.sum() < 3:
        raise ImageDecodeError("no ink found: the image is blank or its strokes have almost no contrast")
    image = mnist_glyph(mask, flat, notes)
    steps = [
        ("grey", working_copy(gray)),
        ("lighting flattened", flat),
        ("ink kept", mask.astype(np.float32)),
        ("model input", image),
    ]
    if evidence["kept_share"] < 0.8:
        notes.append(f"only {evidence['kept_share']:.0%} of the marks found were kept as the digit")
    return Prepared(image, steps, notes, evidence=evidence)


def prepare_drawn_digit(gray: np.ndarray) -> Prepared:
    """A digit drawn on the app's canvas (dark pen on a white square) -> MNIST-like (28, 28). The
    canvas has no lighting, paper or ruled lines, so every mark is the digit: prepare_digit's
    lighting flattening (a grey opening) cut a clean ring's sides and cut a drawn 0 into a C."""
    from scipy import ndimage

    work = working_copy(gray)
    ink = 1.0 - work
    mask = ink > 0.5
    if mask.sum() < 3:
        raise ImageDecodeError("nothing drawn yet: the canvas is empty")
    notes: list[str] = []
    image = mnist_glyph(mask, ink, notes)
    evidence = {"kept_share": 1.0, "lines_share": 0.0, "n_parts": int(ndimage.label(mask)[1]), "clutter": 0.0}
    evidence.update(shape_of(mask))
    steps = [("drawing", work), ("ink", mask.astype(np.float32)), ("model input", image)]
    return Prepared(image, steps, notes, evidence=evidence)


def prepare_object(gray: np.ndarray, size: tuple[int, int]) -> Prepared:
    """A photo of one garment -> Fashion-MNIST-like: light-on-dark, the largest object cut from
    its background (holes filled), cropped and fitted to fill the frame."""
    from scipy import ndimage
    from skimage.filters import threshold_otsu

    work = working_copy(gray)
    light, inverted = light_on_dark(work)
    background = np.median(np.concatenate([light[0], light[-1], light[:, 0], light[:, -1]]))
    contrast = np.abs(light - background)
    mask = ndimage.binary_fill_holes(contrast > max(threshold_otsu(contrast), 0.04))
    labels, n = ndimage.label(mask)
    if n == 0:
        raise ImageDecodeError("no object found: the image has almost no contrast with its background")
    largest = labels == 1 + int(np.argmax(ndimage.sum(mask, labels, index=np.arange(1, n + 1))))
    rows, cols = np.nonzero(largest)
    crop = (np.clip(light - background, 0, 1) * largest)[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    crop = crop / max(float(np.percentile(crop[crop > 0], 99)) if (crop > 0).any() else 1.0, 1e-6)
    side = max(crop.shape)
    square = np.zeros((side, side), np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top : top + crop.shape[0], left : left + crop.shape[1]] = np.clip(crop, 0, 1)
    image = resize(square, size)
    notes = ["light background: inverted to Fashion-MNIST's light-on-black"] if inverted else []
    return Prepared(image, [("grey", work), ("object", largest.astype(np.float32)), ("model input", image)], notes)


def prepare_colour(rgb: np.ndarray, size: tuple[int, int]) -> Prepared:
    """A photo -> a colour model's input: the centred square, resized to `size`, as a user's
    training images were (aelib.datasets.user_images). rgb: (H, W, 3) -> image (h, w, 3)."""
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=-1)
    side = min(rgb.shape[:2])
    top, left = (rgb.shape[0] - side) // 2, (rgb.shape[1] - side) // 2
    square = rgb[top : top + side, left : left + side]
    image = resize(square, size, Image.BOX if side > 2 * max(size) else Image.LANCZOS)
    return Prepared(image, [("photo", rgb), ("centre square", square), ("model input", image)])
