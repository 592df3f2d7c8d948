"""Image input and output: defensive decoding of uploads, preprocessing like the training data,
grids, nearest-neighbour upscaling, GIFs, JPEG at a byte budget, and image-quality metrics.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageDecodeError

MAX_PIXELS = 4096 * 4096  # refuse larger images before decoding them (decompression bombs)
ACCEPTED_FORMATS = {"PNG", "JPEG", "BMP", "WEBP", "GIF", "TIFF", "MPO"}


def decode_image(data: bytes, name: str = "upload", colour: bool = False) -> tuple[np.ndarray, list[str]]:
    """Bytes of an image file -> ((H, W) float32 grayscale in [0, 1], or (H, W, 3) RGB with
    colour=True; notes for the user).

    Raises ImageDecodeError naming the file for empty, truncated, unreadable or huge files.
    Alpha is composited on white, 16-bit is scaled, CMYK/palette are converted, and animated
    files use their first frame.
    """
    if not data:
        raise ImageDecodeError(f"{name}: the file is empty (0 bytes)")
    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageDecodeError(
                    f"{name}: {image.width}x{image.height} pixels is too large (limit {MAX_PIXELS:,} pixels)"
                )
            if image.format not in ACCEPTED_FORMATS:
                raise ImageDecodeError(f"{name}: {image.format} images are not supported (use PNG, JPEG, BMP or WebP)")
            if getattr(image, "n_frames", 1) > 1:
                notes.append(f"{name}: animated image, using its first frame")
                image.seek(0)
            image.load()
            orientation = image.getexif().get(0x0112, 1)  # phones store photos sideways and say so here
            if orientation not in (1, None):
                image = ImageOps.exif_transpose(image)
                notes.append(f"{name}: turned upright from its EXIF orientation ({orientation})")
    except ImageDecodeError:
        raise
    except UnidentifiedImageError:
        raise ImageDecodeError(f"{name}: not an image file that can be read (PNG, JPEG, BMP, WebP)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageDecodeError(f"{name}: image dimensions are too large (possible decompression bomb)") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageDecodeError(f"{name}: the image data is truncated or damaged ({exc})") from None
    return _to_array(image, colour), notes


def _to_array(image: Image.Image, colour: bool = False) -> np.ndarray:
    """Any PIL mode -> (H, W) grey or (H, W, 3) RGB float32 in [0, 1]; alpha over white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        grey = np.clip(array / top, 0, 1)
        return np.repeat(grey[..., None], 3, axis=-1) if colour else grey
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB" if colour else "L"), dtype=np.float32) / 255.0


def _to_gray(image: Image.Image) -> np.ndarray:
    return _to_array(image)


def resize(gray: np.ndarray, size: tuple[int, int], method=Image.LANCZOS) -> np.ndarray:
    """(H, W) or (H, W, 3) float in [0, 1] -> size=(h, w), antialiased (LANCZOS, or BOX for area
    averages)."""
    image = Image.fromarray((np.clip(gray, 0, 1) * 255).astype(np.uint8))
    return np.asarray(image.resize((size[1], size[0]), method), dtype=np.float32) / 255.0


def shrink_to(gray: np.ndarray, side: int) -> np.ndarray:
    """Reduce (H, W) so its longer side is at most `side` (area-averaged); smaller images unchanged."""
    scale = side / max(gray.shape)
    if scale >= 1:
        return gray.astype(np.float32)
    return resize(gray, (max(1, round(gray.shape[0] * scale)), max(1, round(gray.shape[1] * scale))), Image.BOX)


# --- output -------------------------------------------------------------------------------


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


# Digits and clothes are shown pixel-crisp (their pixels are the data); faces and photos smoothly.
CRISP_DATASETS = ("mnist", "fashion_mnist", "digits")


def stored_to_display(images: np.ndarray, which=slice(None)) -> np.ndarray:
    """Stored uint8 images (N, C, H, W) (a bundle's), `which` of them (an index, indices or a slice),
    as floats in [0, 1] in display layout: (H, W) or (H, W, 3) for one index, else (N, H, W) or
    (N, H, W, 3). Only those are converted (all of a bundle's images are 6-32 MB as floats)."""
    single = not isinstance(which, slice) and np.ndim(which) == 0
    images = images[[which] if single else which].astype(np.float32) / 255.0
    images = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    return images[0] if single else images


def upscale(image: np.ndarray, height: int, smooth: bool = False) -> np.ndarray:
    """(H, W[, 3]) enlarged by a whole factor to about `height` rows: nearest-neighbour so pixels
    stay crisp squares, or bicubic (smooth=True), which suits faces better than blocks."""
    factor = max(1, height // image.shape[0])
    if smooth and factor > 1:
        as_uint8 = image if image.dtype == np.uint8 else to_uint8(image)
        resized = Image.fromarray(as_uint8).resize((image.shape[1] * factor, image.shape[0] * factor), Image.BICUBIC)
        return np.asarray(resized)
    return np.repeat(np.repeat(image, factor, 0), factor, 1)


def tile(images: np.ndarray, n_cols: int, pad: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """(N, H, W[, C]) -> one (rows*(H+pad)-pad, cols*(W+pad)-pad[, C]) image, row-major."""
    n, h, w = images.shape[:3]
    n_rows = int(np.ceil(n / n_cols))
    grid = np.full(
        (n_rows * (h + pad) - pad, n_cols * (w + pad) - pad, *images.shape[3:]), pad_value, dtype=images.dtype
    )
    for i, image in enumerate(images):
        r, c = divmod(i, n_cols)
        grid[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = image
    return grid


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image) if image.dtype != np.uint8 else image).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes(frames: np.ndarray, height: int = 168, frame_ms: int = 120) -> bytes:
    """Animated GIF that plays forward then back: frames (N, H, W) in [0, 1]."""
    images = [Image.fromarray(upscale(to_uint8(f), height)) for f in frames]
    sequence = images + images[-2:0:-1]
    buffer = io.BytesIO()
    sequence[0].save(buffer, format="GIF", save_all=True, append_images=sequence[1:], duration=frame_ms, loop=0)
    return buffer.getvalue()


def jpeg_at_budget(image: np.ndarray, n_bytes: int) -> tuple[np.ndarray, int, int]:
    """Best JPEG of `image` ((H, W) or (H, W, 3) in [0, 1]) within n_bytes: (decoded image, size, quality).
    When even quality 1 is over budget, that smallest JPEG is returned (check its size)."""
    pil = Image.fromarray(to_uint8(image))
    best = None
    for quality in range(95, 0, -3):
        buffer = io.BytesIO()
        pil.save(buffer, format="JPEG", quality=quality)
        best = (buffer.getvalue(), quality)
        if len(best[0]) <= n_bytes:
            break
    mode = "RGB" if image.ndim == 3 else "L"
    decoded = np.asarray(Image.open(io.BytesIO(best[0])).convert(mode), dtype=np.float32) / 255.0
    return decoded, len(best[0]), best[1]


def ssim(clean: np.ndarray, other: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004) via scikit-image, for (H, W) or (H, W, 3) images
    in [0, 1] (colour: the mean over channels)."""
    from skimage.metrics import structural_similarity

    smallest = min(clean.shape[:2])
    win = min(7, smallest if smallest % 2 else smallest - 1)  # odd, and no larger than the image
    channel_axis = -1 if clean.ndim == 3 else None
    return float(structural_similarity(clean, other, data_range=1.0, win_size=win, channel_axis=channel_axis))


def psnr(clean: np.ndarray, other: np.ndarray, axis=None):
    """Peak signal-to-noise ratio in dB for images in [0, 1]: a float over the whole array, or one
    per image with axis, e.g. (N, C, H, W) and axis=(1, 2, 3) -> (N,)."""
    mse = np.mean((np.asarray(clean, np.float64) - np.asarray(other, np.float64)) ** 2, axis=axis)
    db = 10 * np.log10(1.0 / np.maximum(mse, 1e-10))
    return float(db) if axis is None else db


def median_filter(image: np.ndarray, size: int = 3) -> np.ndarray:
    """Classical denoising baseline (scipy's median filter), per channel for (H, W, 3)."""
    from scipy import ndimage

    return ndimage.median_filter(image, size=(size, size, 1) if image.ndim == 3 else size)


def thumbnail(gray: np.ndarray, side: int = 150) -> np.ndarray:
    """Any-size (H, W) image in [0, 1] -> uint8 whose longer side is about `side` pixels:
    enlarged with nearest-neighbour when small (crisp pixels), reduced with antialiasing when large."""
    if max(gray.shape) <= side:
        return upscale(to_uint8(gray), side * gray.shape[0] // max(gray.shape))
    image = Image.fromarray(to_uint8(gray))
    image.thumbnail((side, side), Image.LANCZOS)
    return np.asarray(image)


# Black for no error, like the images' background; red to yellow for growing error.
ERROR_STOPS = np.array([0.0, 0.35, 0.7, 1.0])
ERROR_COLOURS = np.array([[0, 0, 0], [178, 24, 43], [255, 127, 0], [255, 255, 102]], np.float64)


def error_colours(values: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """(H, W) non-negative errors -> (H, W, 3) uint8 on the black-red-yellow scale, from 0 to vmax
    (the image's own maximum by default: a fixed 0-1 scale leaves typical squared errors black)."""
    vmax = float(max(values.max(), 1e-6)) if vmax is None else vmax
    t = np.clip(values / vmax, 0.0, 1.0)
    channels = [np.interp(t, ERROR_STOPS, ERROR_COLOURS[:, c]) for c in range(3)]
    return np.round(np.stack(channels, -1)).astype(np.uint8)
