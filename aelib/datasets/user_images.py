"""A user's uploads (.zip archives and/or image files) -> an ImageData to train on in the browser.

The server is shared, so every limit in ImageSetLimits is checked before the work it guards
(sizes from a zip's central directory and an image's header, before anything is unpacked or
decoded). Nothing is extracted to disk: members are read in memory, so a path like ../x.png can
do no harm, but it is still refused as a sign of a hostile archive. Every skip or refusal names
the file by its base name, never a path on the server.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePosixPath

import numpy as np
import torch
from PIL import Image, ImageOps

from ..errors import DataError
from ..preprocess.imaging import ACCEPTED_FORMATS, _to_gray, to_uint8
from .base import ImageData, from_uint8, split
from .folders import IMAGE_SUFFIXES, _center_square

MIN_IMAGES = 10
ARCHIVE_SUFFIXES = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar"}
IGNORED_NAMES = {"__macosx", "thumbs.db", "desktop.ini"}  # OS clutter: dropped without a note
Image.init()  # registers every plugin, so FORMATS lists what this Pillow can open
FORMATS = sorted(f for f in ACCEPTED_FORMATS if f in Image.OPEN)  # no others (EPS runs Ghostscript); MPO opens as JPEG
RATIO_MIN_BYTES = 2**20  # a smaller member cannot hurt however well it compresses (tiny text files do)
SKIP_REASONS = {  # key -> "singular | plural", formatted with the limits
    "upload": "upload that is neither a .zip nor an image | uploads that are neither a .zip nor an image",
    "escapes": "entry whose path leaves the archive | entries whose paths leave the archive",
    "nested": "nested archive (not opened) | nested archives (not opened)",
    "not_image": "non-image file | non-image files",
    "encrypted": "encrypted file | encrypted files",
    "bomb": "file compressed over {ratio:.0f}x (a zip bomb?) | files compressed over {ratio:.0f}x (zip bombs?)",
    "too_large": "image over {pixels:,} pixels | images over {pixels:,} pixels",
    "damaged": "damaged or unreadable image | damaged or unreadable images",
}


@dataclass(frozen=True)
class ImageSetLimits:
    max_images: int = 5000  # keep the first this many images, note the rest
    max_pixels: int = 4096 * 4096  # per image, from its header before decoding
    max_total_bytes: int = 200 * 2**20  # unpacked size of all zip members: declared, then as read
    max_member_ratio: float = 200.0  # uncompressed / compressed size of one member above this: a bomb


DEFAULT_LIMITS = ImageSetLimits()


class _Skip(Exception):
    """Why one file is skipped (a SKIP_REASONS key); caught within this module, never seen by users."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


@dataclass
class _Log:
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, name: str) -> None:
        self.skipped.setdefault(reason, []).append(name)

    def summary(self, limits: ImageSetLimits) -> list[str]:
        """One note per reason: 'skipped 3 non-image files: a.txt, b.csv, c.md'."""
        notes = []
        for reason, names in self.skipped.items():
            what = (
                SKIP_REASONS[reason]
                .split(" | ")[len(names) > 1]
                .format(ratio=limits.max_member_ratio, pixels=limits.max_pixels)
            )
            more = f" and {len(names) - 5} more" if len(names) > 5 else ""
            notes.append(f"skipped {len(names)} {what}: {', '.join(names[:5])}{more}")
        return notes


@dataclass
class _Budget:
    """Bytes the zips of one call may unpack to, all together: declared sizes up front, then the
    bytes actually read (a member whose header lies about its size is stopped too)."""

    limit: int
    declared: int = 0
    read: int = 0

    def add(self, n_bytes: int, name: str, declared: bool) -> None:
        """Count bytes that zips declare (before unpacking) or that are read (while unpacking)."""
        if declared:
            self.declared += n_bytes
        else:
            self.read += n_bytes
        if max(self.declared, self.read) > self.limit:
            limit = _mb(self.limit)
            raise DataError(
                f"{name}: the zip files unpack to {_mb(self.declared)}, over the {limit} limit (a zip bomb, or too "
                "much data for this server)"
                if declared
                else f"{name}: unpacks to more than its zip declares, past the {limit} limit (a zip bomb?); the "
                "upload was refused"
            )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def _base(name: str) -> str:
    """The last part of a path written with / or \\ (uploads from Windows browsers, zips made there)."""
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _safe_parts(name: str) -> tuple[str, ...] | None:
    """A zip member's path as parts, or None when it is absolute, has a drive letter or a '..'."""
    path = name.replace("\\", "/")
    parts = tuple(p for p in path.split("/") if p not in ("", "."))
    if path.startswith("/") or re.match(r"[A-Za-z]:", path) or ".." in parts:
        return None
    return parts


def _triage(info: zipfile.ZipInfo, parts: tuple[str, ...] | None, limits: ImageSetLimits) -> str | None:
    """Why a zip member is not read: a SKIP_REASONS key, "ignore" (OS clutter), or None to read it."""
    if parts is None:
        return "escapes"
    if any(p.startswith(".") or p.lower() in IGNORED_NAMES for p in parts):
        return "ignore"
    suffix = PurePosixPath(parts[-1]).suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return "nested"
    if suffix not in IMAGE_SUFFIXES:
        return "not_image"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > max(RATIO_MIN_BYTES, limits.max_member_ratio * info.compress_size):
        return "bomb"
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> bytes:
    """A member's bytes, counted against the budget as they come (DataError past it); _Skip("damaged")
    when they fail their CRC (e.g. a header that understates the size) or cannot be unpacked."""
    chunks = []
    try:
        with archive.open(info) as member:
            while chunk := member.read(2**20):
                budget.add(len(chunk), _base(info.filename), declared=False)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError):
        raise _Skip("damaged") from None
    return b"".join(chunks)


def _zip_entries(name: str, data: bytes, limits: ImageSetLimits, log: _Log, budget: _Budget) -> list:
    """A .zip upload -> [(base name, class or None, read())] for its image members, sorted by path.
    The class is the first folder under the members' common root (photos/shoes/a.png -> shoes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError(f"{name}: not a valid .zip file ({exc})") from None
    members = [info for info in archive.infolist() if not info.is_dir()]
    budget.add(sum(info.file_size for info in members), name, declared=True)
    images = []
    for info in sorted(members, key=lambda info: info.filename):
        parts = _safe_parts(info.filename)
        reason = _triage(info, parts, limits)
        if reason is None:
            images.append((parts, info))
        elif reason != "ignore":
            log.skip(reason, _base(info.filename))
    root = len(os.path.commonprefix([parts[:-1] for parts, _ in images]))
    return [
        (parts[-1], parts[root] if len(parts) > root + 1 else None, partial(_read_member, archive, info, budget))
        for parts, info in images
    ]


def _upload_entries(name: str, data: bytes, limits: ImageSetLimits, log: _Log, budget: _Budget) -> list:
    """One uploaded file -> [(base name, class or None, read())]; a loose image has no class."""
    name = _base(name)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".zip":
        return _zip_entries(name, data, limits, log, budget)
    if suffix in IMAGE_SUFFIXES:
        return [(name, None, lambda: data)]
    log.skip("upload", name)
    return []


def _convert(image: Image.Image, mode: str) -> Image.Image:
    """Any PIL mode -> mode ("L" or "RGB"): 16-bit is scaled rather than clipped to white, and
    transparency is composited on white (a PNG's see-through background is usually meant as paper)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return Image.fromarray(to_uint8(_to_gray(image))).convert(mode)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return image.convert(mode)


def _decode(data: bytes, image_shape: tuple[int, int, int], max_pixels: int):
    """Image file bytes -> ((H, W) or (H, W, 3) uint8, original (w, h), original mode, turned upright?).
    Raises _Skip("too_large") from the header alone, or _Skip("damaged")."""
    channels, height, width = image_shape
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
        size, mode = image.size, image.mode
        if size[0] * size[1] > max_pixels:
            raise _Skip("too_large", f" ({size[0]}x{size[1]})")
        image.draft(None, (max(height, width),) * 2)  # JPEG: decode at 1/2-1/8 scale when that is enough
        image.load()
        turned = image.getexif().get(0x0112, 1) not in (1, None)  # phones store photos sideways, say so here
        if turned:
            image = ImageOps.exif_transpose(image)
        image = _convert(image, "L" if channels == 1 else "RGB")
        image = _center_square(image).resize((width, height), Image.BILINEAR)
        return np.asarray(image, dtype=np.uint8), size, mode, turned
    except _Skip:
        raise
    except Image.DecompressionBombError:
        raise _Skip("too_large") from None
    except Exception:  # a hostile or damaged file can make any decoder fail in any way: skip it
        raise _Skip("damaged") from None


def _decode_all(entries: list, image_shape, limits: ImageSetLimits, log: _Log):
    """entries -> (list of uint8 arrays, their classes, notes on the cap, resizing and rotation)."""
    arrays, classes, sizes, modes, turned, notes = [], [], Counter(), Counter(), 0, []
    for index, (name, label, read) in enumerate(entries):
        if len(arrays) == limits.max_images:
            notes.append(
                f"kept the first {len(arrays)} images; {len(entries) - index} more were left out "
                f"(limit {limits.max_images})"
            )
            break
        try:
            array, size, mode, upright = _decode(read(), image_shape, limits.max_pixels)
        except _Skip as skip:
            log.skip(skip.reason, name + skip.detail)
            continue
        arrays.append(array)
        classes.append(label)
        sizes[size] += 1
        modes[mode] += 1
        turned += upright
    if arrays:
        shape = f"{image_shape[1]}x{image_shape[2]} {'grey' if image_shape[0] == 1 else 'RGB'}"
        of = f"of {len(sizes)} different sizes" if len(sizes) > 1 else "of size {}x{}".format(*next(iter(sizes)))
        notes.append(f"{len(arrays)} images {of} resized to {shape} (colour modes: {', '.join(sorted(modes))})")
    if turned:
        notes.append(f"turned {_count(turned, 'image')} upright from their EXIF orientation")
    return arrays, classes, notes


def _labels(classes: list[str | None]) -> tuple[torch.Tensor | None, list[str] | None, str]:
    """Per-image class names -> (y, class_names, note); unlabelled unless every image has one of 2+."""
    names = sorted({c for c in classes if c is not None})
    if None in classes and names:
        return None, None, f"{_count(classes.count(None), 'image')} outside any class folder, so the set is unlabelled"
    if len(names) < 2:
        return None, None, "no class sub-folders (two or more are needed for labels), so the set is unlabelled"
    counts = Counter(classes)
    y = torch.tensor([names.index(c) for c in classes], dtype=torch.int64)
    return y, names, f"{len(names)} classes from folder names: " + ", ".join(f"{n} ({counts[n]})" for n in names)


def read_image_set(
    files: list[tuple[str, bytes]],
    image_shape: tuple[int, int, int] = (1, 28, 28),
    limits: ImageSetLimits = DEFAULT_LIMITS,
    test_fraction: float = 0.1,
    seed: int = 0,
) -> tuple[ImageData, list[str]]:
    """files: (name, bytes) of uploaded .zip archives and/or image files -> (dataset, notes).

    x_train/x_test: (N, C, H, W) float32 in [0, 1], (C, H, W) = image_shape with C = 1 (grey) or
    3 (RGB); every image is centre-cropped to a square and resized. y_*: (N,) int64 when a zip's
    sub-folders give two or more classes, else None. Notes say what was skipped and why, the counts
    and the resizing done. Raises DataError for an invalid zip, one that unpacks past
    limits.max_total_bytes, or fewer than MIN_IMAGES readable images.
    """
    if image_shape[0] not in (1, 3):
        raise ValueError(f"image_shape {image_shape}: channels must be 1 (grey) or 3 (RGB)")
    log, budget = _Log(), _Budget(limits.max_total_bytes)
    entries = [entry for name, data in files for entry in _upload_entries(name, data, limits, log, budget)]
    arrays, classes, decode_notes = _decode_all(entries, image_shape, limits, log)
    if len(arrays) < MIN_IMAGES:
        reasons = "".join(f"; {note}" for note in log.summary(limits))
        uploads = ", ".join(_base(name) for name, _ in files[:3]) + (", ..." if len(files) > 3 else "")
        raise DataError(f"{uploads}: found {len(arrays)} readable images, need at least {MIN_IMAGES}{reasons}")
    y, class_names, label_note = _labels(classes)
    n_test = max(1, round(len(arrays) * test_fraction))
    x_train, x_test, y_train, y_test = split(from_uint8(np.stack(arrays)), y, n_test, seed)
    notes = [
        f"read {len(arrays)} images: {len(x_train)} for training, {len(x_test)} for testing",
        label_note,
        *decode_notes,
        *log.summary(limits),
    ]
    info = {"notes": notes, "skipped": log.skipped, "uploads": [_base(name) for name, _ in files]}
    return ImageData("user_images", x_train, x_test, y_train, y_test, class_names, info), notes
