"""A user's photo or drawing made to look like the training data, step by step.

Digits follow MNIST's own recipe (LeCun et al. 1998) on a real photo: flatten the lighting, find
the ink (Otsu), keep the digit and what lies close to it, give the strokes MNIST's width, fit the
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

from .errors import ImageDecodeError
from .imaging import resize, shrink_to

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


def flatten_lighting(ink: np.ndarray) -> np.ndarray:
    """Subtract the slowly varying background (shadows, gradients, paper tint) from a light-on-
    dark image: a grey opening with a disk larger than any stroke, on a reduced copy for speed."""
    from scipy import ndimage
    from skimage.morphology import disk, opening

    factor = max(1, max(ink.shape) // 128)
    small = ink[::factor, ::factor]
    background = ndimage.uniform_filter(opening(small, disk(6)), 9)
    background = ndimage.zoom(background, (ink.shape[0] / small.shape[0], ink.shape[1] / small.shape[1]), order=1)
    flat = np.clip(ink - background[: ink.shape[0], : ink.shape[1]], 0, None)
    return flat / max(float(np.percentile(flat, 99.9)), 1e-6)


def ink_mask(flat: np.ndarray) -> np.ndarray:
    """Otsu's threshold (scikit-image), never below the paper's own noise: a thin '1' covering
    0.3% of the page is still found, and a blank page yields nothing."""
    from skimage.filters import threshold_otsu

    noise = np.median(flat) + 8 * np.median(np.abs(flat - np.median(flat))) + 0.08
    return flat > max(threshold_otsu(flat), noise)


def remove_long_lines(mask: np.ndarray, fractions: tuple[float, float] = (0.9, 0.75)) -> np.ndarray:
    """Drop vertical and horizontal runs longer than these fractions of the image's height and
    width (ruled lines, margins, axes, which cross the whole page; a digit's strokes, even a
    tall '1' or a wide '7', are shorter). Running means keep it linear in time."""
    from scipy import ndimage

    lines = np.zeros_like(mask)
    for axis, fraction in enumerate(fractions):
        length = max(3, int(fraction * mask.shape[axis]))
        full = ndimage.uniform_filter1d(mask.astype(np.float32), length, axis=axis) > 0.9
        lines |= ndimage.maximum_filter1d(full, length, axis=axis) & mask
    thick = max(1, round(max(mask.shape) / 300))  # the line's anti-aliased fringe
    return mask & ~ndimage.binary_dilation(lines, iterations=thick)


def keep_main_strokes(mask: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The digit: the heaviest connected group of strokes and the groups close to it. Dropped:
    ruled lines, page edges, shadow edges and frames (long parts spanning the image or running
    into its border), specks."""
    from scipy import ndimage

    without_lines = remove_long_lines(mask)
    if without_lines.sum() > 0.2 * mask.sum():  # else the "line" was the digit itself (a tall '1')
        mask = without_lines
    h, w = mask.shape
    bridge = max(1, round(max(h, w) / 150))  # joins a broken pen stroke, not two digits
    labels, n = ndimage.label(ndimage.binary_dilation(mask, iterations=bridge))
    if n == 0:
        return mask
    boxes = ndimage.find_objects(labels)
    mass = ndimage.sum(weight * mask, labels, index=np.arange(1, n + 1))
    keep = np.zeros(n + 1, bool)
    for i, box in enumerate(boxes):
        bh, bw = box[0].stop - box[0].start, box[1].stop - box[1].start
        at_border = box[0].start == 0 or box[1].start == 0 or box[0].stop == h or box[1].stop == w
        if at_border and (bh > 0.5 * h or bw > 0.5 * w) and mass.max() > 0:
            mass[i] = -mass[i]  # a page or shadow edge, or a neighbour cut by the frame: last resort only
    if mass.max() <= 0:
        mass = np.abs(mass)
    main = int(np.argmax(mass))
    if mass[main] <= 0:
        return np.zeros_like(mask)
    top, left = boxes[main][0].start, boxes[main][1].start
    bottom, right = boxes[main][0].stop, boxes[main][1].stop
    reach = 0.25 * max(bottom - top, right - left)
    for i, box in enumerate(boxes):
        gap_y = max(0, box[0].start - bottom, top - box[0].stop)
        gap_x = max(0, box[1].start - right, left - box[1].stop)
        keep[i + 1] = mass[i] > 0.02 * mass[main] and max(gap_y, gap_x) <= reach
    return mask & keep[labels]


def stroke_width(mask: np.ndarray) -> float:
    """Twice the median distance to the background along the skeleton: the stroke's width in px."""
    from scipy import ndimage
    from skimage.morphology import skeletonize

    skeleton = skeletonize(mask)
    if not skeleton.any():
        return 0.0
    return float(2 * np.median(ndimage.distance_transform_edt(mask)[skeleton]))


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


def prepare_digit(gray: np.ndarray) -> Prepared:
    """A photo, scan or drawing of one handwritten digit -> MNIST-like (28, 28)."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if gray.shape == (28, 28) and border.max() < 0.15 and gray.max() > 0.3:
        image = np.clip(gray / gray.max(), 0, 1).astype(np.float32)  # an MNIST digit already: as it is
        return Prepared(image, [("grey", gray), ("model input", image)], ["already in MNIST's format: used as it is"])
    work = working_copy(gray)
    ink, inverted = light_on_dark(work)
    flat = flatten_lighting(ink)
    mask = keep_main_strokes(ink_mask(flat), flat)
    if mask.sum() < 3:
        raise ImageDecodeError("no ink found: the image is blank or its strokes have almost no contrast")
    notes = ["dark ink on light paper: inverted to MNIST's white-on-black"] if inverted else []
    image = mnist_glyph(mask, flat, notes)
    steps = [
        ("grey", work),
        ("lighting flattened", flat),
        ("ink kept", mask.astype(np.float32)),
        ("model input", image),
    ]
    return Prepared(image, steps, notes)


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
