"""Uploads as hard as real ones, for benchmarks/real_uploads.py: each maker takes a 28x28 MNIST
digit in [0, 1] and a numpy Generator and returns the bytes of an image file.

Kinds (issue #22: the first synthetic photos were kinder than real ones):
  ballpoint   a 1-2 px blue or black ballpoint line at ~1000 px, on beige or grey paper, with the
              page's other side showing through (a mirrored, blurred, faint digit), blur, JPEG q60
              and a slight perspective;
  shadow      a pen digit with a hard-edged shadow across it (a hand or phone over the page);
  closeup     a close-up: the digit fills the frame, its strokes 15-45 px wide may reach the edge;
  marker      a black marker on dark grey paper, uneven light;
All four photo kinds have vignetting, lens blur, sensor noise, a slight perspective and JPEG.
  tight_crop  a scan cropped to the digit's box (0-4 px margin, sometimes cutting a stroke);
  drawing28   a 28x28 dark-on-light drawing (a paint program's smallest canvas), often filling it;
  rgba        a 128x128 RGBA canvas export: black strokes ~9 px wide on white (alpha 255), or on a
              transparent background, the digit filling most of the canvas.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

BEIGE, GREY = (0.93, 0.88, 0.76), (0.78, 0.78, 0.77)
BLUE_INK, BLACK_INK = np.array([0.12, 0.17, 0.55]), np.array([0.1, 0.1, 0.12])


def pen_strokes(digit: np.ndarray, height: int, pen: float) -> np.ndarray:
    """A 28x28 digit redrawn `height` px tall with a pen `pen` px wide: (height, height) bool."""
    from scipy import ndimage
    from skimage.morphology import skeletonize

    big = np.asarray(Image.fromarray((digit * 255).astype(np.uint8)).resize((height, height), Image.BICUBIC)) / 255
    return ndimage.distance_transform_edt(~skeletonize(big > 0.5)) <= pen / 2


def encode(rgb: np.ndarray, fmt: str = "PNG", quality: int = 90) -> bytes:
    """(H, W, 3) or (H, W, 4) float in [0, 1] -> file bytes."""
    buffer = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(buffer, format=fmt, quality=quality)
    return buffer.getvalue()


def paper(shape, rng, tint) -> np.ndarray:
    """(H, W, 3) paper of `tint` with a fine texture."""
    from scipy import ndimage

    texture = ndimage.gaussian_filter(rng.normal(0, 0.04, shape), 1.5)[..., None]
    return np.clip(np.array(tint) * rng.uniform(0.85, 1.0) + texture, 0, 1)


def ink_on(canvas: np.ndarray, mask: np.ndarray, colour, top: int, left: int, opacity: float = 1.0) -> None:
    """Blend `colour` into canvas where `mask` (placed at top, left; clipped to the canvas) is set."""
    h, w = canvas.shape[:2]
    t, lft = max(0, top), max(0, left)
    sub = mask[t - top : h - top, lft - left : w - left]
    region = canvas[t : t + sub.shape[0], lft : lft + sub.shape[1]]
    region[sub] = (1 - opacity) * region[sub] + opacity * np.asarray(colour)


def lighting(shape, rng, strength=(0.1, 0.3)) -> np.ndarray:
    """(H, W) smooth light falloff across the page, and a phone lens's vignetting (the centre
    brighter than the corners, which makes the border darker than the middle)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    angle = rng.uniform(0, 2 * np.pi)
    falloff = 1 - rng.uniform(*strength) * np.clip(np.cos(angle) * xx + np.sin(angle) * yy + 0.5, 0, 1.5) / 1.5
    r2 = ((yy - yy.mean()) ** 2 + (xx - xx.mean()) ** 2) / max(
        ((yy - yy.mean()) ** 2 + (xx - xx.mean()) ** 2).max(), 1e-6
    )
    return falloff * (1 - rng.uniform(0.1, 0.3) * r2)


def finish(photo: np.ndarray, rng, sigma=(0.4, 1.2), quality=None) -> bytes:
    """The camera: lens blur, sensor noise, a slight perspective, JPEG (q60-85 unless given)."""
    photo = blur(photo, rng.uniform(*sigma)) + rng.normal(0, rng.uniform(0.01, 0.03), photo.shape[:2])[..., None]
    return encode(perspective(photo, rng), "JPEG", quality or int(rng.integers(60, 86)))


def perspective(photo: np.ndarray, rng, amount: float = 0.05) -> np.ndarray:
    """A slight perspective: the frame's corners see points up to `amount` of the side inside the
    page's corners (PIL's PERSPECTIVE transform, coefficients solved from the four pairs), so the
    page still fills the frame, as in a photo taken a little off-axis."""
    h, w = photo.shape[:2]
    out = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    src = out + inward * rng.uniform(0, amount, (4, 2)) * [w, h]
    rows = []
    for (x, y), (u, v) in zip(out, src, strict=True):  # output (x, y) -> input (u, v)
        rows.append(([x, y, 1, 0, 0, 0, -u * x, -u * y], u))
        rows.append(([0, 0, 0, x, y, 1, -v * x, -v * y], v))
    coeffs = np.linalg.solve(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    image = Image.fromarray((np.clip(photo, 0, 1) * 255).astype(np.uint8))
    return np.asarray(image.transform((w, h), Image.PERSPECTIVE, tuple(coeffs), Image.BICUBIC)) / 255.0


def blur(photo: np.ndarray, sigma: float) -> np.ndarray:
    from scipy import ndimage

    return ndimage.gaussian_filter(photo, (sigma, sigma, 0))


def _page(rng, side=(900, 1300)):
    h, w = int(rng.integers(*side)), int(rng.integers(*side))
    return paper((h, w), rng, BEIGE if rng.random() < 0.5 else GREY), h, w


def _spot(rng, h, w, size):
    return int(rng.integers(h // 10, max(h // 10 + 1, h - size - h // 10))), int(
        rng.integers(w // 10, max(w // 10 + 1, w - size - w // 10))
    )


def ballpoint(digit, rng, other=None) -> bytes:
    canvas, h, w = _page(rng)
    size = int(rng.uniform(0.3, 0.55) * min(h, w))
    if other is not None:  # the other side of the page: mirrored, through the paper (blurred, faint)
        back = np.zeros((h, w, 3))
        ink_on(back, pen_strokes(other, size, rng.uniform(1.5, 3))[:, ::-1], (1, 1, 1), *_spot(rng, h, w, size))
        canvas *= 1 - rng.uniform(0.08, 0.18) * blur(back, 2.5)
    ink = BLUE_INK if rng.random() < 0.7 else BLACK_INK
    ink_on(canvas, pen_strokes(digit, size, rng.uniform(1.0, 2.0)), ink, *_spot(rng, h, w, size), rng.uniform(0.6, 0.9))
    return finish(canvas * lighting((h, w), rng)[..., None], rng, (0.4, 1.0), quality=60)


def shadow(digit, rng, other=None) -> bytes:
    canvas, h, w = _page(rng)
    size = int(rng.uniform(0.35, 0.6) * min(h, w))
    top, left = _spot(rng, h, w, size)
    ink_on(
        canvas, pen_strokes(digit, size, rng.uniform(2, 6)), BLUE_INK if rng.random() < 0.5 else BLACK_INK, top, left
    )
    yy, xx = np.mgrid[0:h, 0:w]
    angle = rng.uniform(0, np.pi)  # a straight shadow edge through a point inside the digit's box
    cy, cx = top + rng.uniform(0.3, 0.7) * size, left + rng.uniform(0.3, 0.7) * size
    dark = (np.cos(angle) * (xx - cx) + np.sin(angle) * (yy - cy)) > 0
    canvas *= 1 - rng.uniform(0.35, 0.6) * blur(dark[..., None].astype(float), rng.uniform(1, 4))
    return finish(canvas * lighting((h, w), rng)[..., None], rng)


def closeup(digit, rng, other=None) -> bytes:
    canvas, h, w = _page(rng, (800, 1200))
    size = int(rng.uniform(0.9, 1.3) * min(h, w))  # the 28x28 frame scaled: the digit fills 65-90%, may touch the edge
    top = (h - size) // 2 + int(rng.integers(-h // 15, h // 15))
    left = (w - size) // 2 + int(rng.integers(-w // 15, w // 15))
    ink = BLUE_INK if rng.random() < 0.5 else BLACK_INK
    ink_on(canvas, pen_strokes(digit, size, rng.uniform(15, 45)), ink, top, left)
    return finish(canvas * lighting((h, w), rng)[..., None], rng, (0.5, 2.0))


def marker(digit, rng, other=None) -> bytes:
    h, w = int(rng.integers(800, 1300)), int(rng.integers(800, 1300))
    canvas = paper((h, w), rng, (rng.uniform(0.45, 0.7),) * 3)
    size = int(rng.uniform(0.35, 0.6) * min(h, w))
    ink_on(canvas, pen_strokes(digit, size, size * rng.uniform(0.04, 0.09)), BLACK_INK, *_spot(rng, h, w, size))
    return finish(canvas * lighting((h, w), rng, (0.2, 0.4))[..., None], rng)


def tight_crop(digit, rng, other=None) -> bytes:
    size = int(rng.integers(60, 300))
    strokes = pen_strokes(digit, size, size * rng.uniform(0.06, 0.12))
    rows, cols = np.nonzero(strokes)
    margin = int(rng.integers(-1, 5))  # -1 cuts the outermost pixels of a stroke
    y0, y1 = max(0, rows.min() - margin), rows.max() + 1 + margin
    x0, x1 = max(0, cols.min() - margin), cols.max() + 1 + margin
    canvas = paper((size + 10, size + 10), rng, (rng.uniform(0.8, 0.95),) * 3)
    ink_on(canvas, strokes, (rng.uniform(0.05, 0.25),) * 3, 0, 0)
    return encode(canvas[y0:y1, x0:x1], "JPEG", 85) if rng.random() < 0.5 else encode(canvas[y0:y1, x0:x1])


def drawing28(digit, rng, other=None) -> bytes:
    """Half: the MNIST digit itself, dark on light; half: redrawn with a 1.5-3 px pencil, 22-28 px
    tall, anywhere in the frame (often touching its edge), as in a paint program."""
    paper_level, ink_level = rng.uniform(0.85, 1.0), rng.uniform(0.0, 0.2)
    if rng.random() < 0.5:
        strokes = digit
    else:
        size = int(rng.integers(22, 29))
        strokes = np.zeros((28, 28))
        top, left = int(rng.integers(0, 29 - size)), int(rng.integers(0, 29 - size))
        ink_on(strokes[..., None], pen_strokes(digit, size, rng.uniform(1.5, 3.0)), 1.0, top - 1, left)
    gray = paper_level - (paper_level - ink_level) * strokes
    return encode(np.repeat(gray[..., None], 3, -1))


def rgba(digit, rng, other=None) -> bytes:
    size = int(rng.integers(96, 128))
    strokes = pen_strokes(digit, size, rng.uniform(7, 11))
    canvas = np.ones((128, 128, 4))
    transparent = rng.random() < 0.3
    if transparent:
        canvas[..., 3] = 0
    top, left = int(rng.integers(0, 129 - size)), int(rng.integers(0, 129 - size))
    ink_on(canvas, strokes, (0, 0, 0, 1), top, left)
    return encode(canvas)


MAKERS = {
    "ballpoint": ballpoint,
    "shadow": shadow,
    "closeup": closeup,
    "marker": marker,
    "tight_crop": tight_crop,
    "drawing28": drawing28,
    "rgba": rgba,
}
HARD = ("phone", "ballpoint", "shadow", "closeup", "marker")  # issue #22's bar: each >= 85%
SMALL = ("tight_crop", "drawing28", "rgba")  # issue #22's bar: each >= 90%
