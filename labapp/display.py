"""Showing images and user-controlled text."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import streamlit as st

from aelib.preprocess.imaging import png_bytes, to_uint8, upscale
from labapp import keys

_MARKDOWN_CONTROL = re.compile(r"([\\`*_\[\]()!<>~$#|])")


def plain(text: str) -> str:
    """User-controlled text (file names, URL parameters, column names, CSV cells) made inert for
    Streamlit's markdown: links (bare URLs included), images, HTML, emphasis, code, colour
    directives and headings are backslash-escaped, line breaks flattened, a leading list marker
    escaped."""
    text = _MARKDOWN_CONTROL.sub(r"\\\1", " ".join(str(text).splitlines()))
    # Bare URLs are autolinked whatever is escaped, so a zero-width space breaks the scheme.
    text = re.sub(r"(?i)\b(https?|ftp|mailto|www)([:.])", "\\1\u200b\\2", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", re.sub(r"^([-+])", r"\\\1", text))


def no_paths(exc: Exception) -> str:
    """An exception's text for a user: file paths shortened to their names (never a server path)."""
    text = re.sub(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+){2,}", lambda m: Path(m.group()).name, str(exc))
    return f"{type(exc).__name__}: {text[:200]}"


# A PNG up to this size travels inside the page's own message as a data URL: no request of its own,
# drawn with its element (a page of 20 thumbnails made 20 media requests after the run). Bigger
# ones go through Streamlit's media files as before.
INLINE_BYTES = 24_000
_ENCODED: OrderedDict[bytes, str | bytes] = OrderedDict()  # pixels' hash -> data URL or PNG bytes
_ENCODED_LOCK = threading.Lock()
_KEEP = 256  # about 2 MB: thumbnails are a few KB


def image_source(image: np.ndarray | Path) -> str | bytes:
    """What st.image shows with the least work: (H, W[, 3]) uint8 pixels or a PNG file -> a PNG data
    URL (small) or the PNG's bytes. Encoded once per distinct image and kept (least recently used
    out first): a rerun shows mostly the same images, and st.image would encode each again."""
    if isinstance(image, Path):
        stat = image.stat()
        key = hashlib.blake2b(f"{image}|{stat.st_mtime_ns}|{stat.st_size}".encode(), digest_size=16).digest()
    else:
        image = np.ascontiguousarray(image if image.dtype == np.uint8 else to_uint8(image))
        digest = hashlib.blake2b(str(image.shape).encode(), digest_size=16)
        digest.update(image.data)
        key = digest.digest()
    with _ENCODED_LOCK:
        if key in _ENCODED:
            _ENCODED.move_to_end(key)
            return _ENCODED[key]
    data = image.read_bytes() if isinstance(image, Path) else png_bytes(image)
    source = "data:image/png;base64," + base64.b64encode(data).decode() if len(data) <= INLINE_BYTES else data
    with _ENCODED_LOCK:
        _ENCODED[key] = source
        while len(_ENCODED) > _KEEP:
            _ENCODED.popitem(last=False)
    return source


def show_images(images, captions=None, height: int = 140, n_cols: int | None = None) -> None:
    """A row (or rows) of images, enlarged with nearest-neighbour so pixels stay crisp."""
    images = list(images)
    n_cols = n_cols or len(images)
    for start in range(0, len(images), n_cols):
        columns = st.columns(n_cols)
        for i, image in enumerate(images[start : start + n_cols]):
            caption = captions[start + i] if captions else None
            enlarged = big(image, height)
            columns[i].image(image_source(enlarged), caption=caption, width=enlarged.shape[1])


def big(image: np.ndarray, height: int = 140) -> np.ndarray:
    """(H, W) or (H, W, 3) in [0, 1] -> enlarged uint8 for st.image: crisp pixels for digits and
    clothes, smooth for faces (the active model's dataset decides)."""
    image = to_uint8(image) if image.dtype != np.uint8 else image
    return upscale(image, height, smooth=st.session_state.get(keys.SMOOTH_IMAGES, False))


def show(where, image: np.ndarray, height: int | None = 140, caption: str | None = None, width=None) -> None:
    """One image in `where` (st, a column): enlarged by big() (height=None: as it is), sent by
    image_source() at its own pixel width unless `width` says otherwise (e.g. "stretch"); a data
    URL has no size Streamlit knows, and a long caption would stretch it."""
    pixels = big(image, height) if height else (image if image.dtype == np.uint8 else to_uint8(image))
    where.image(image_source(pixels), caption=caption, width=width or pixels.shape[1])


def label_names(checkpoint) -> list[str]:
    """The model's class names ([] when it has none)."""
    return checkpoint.header["dataset"].get("class_names") or []


def titled_chart(fig, **kwargs) -> None:
    """A Plotly figure with its title as page text above it, where it wraps: a title inside the figure
    does not wrap, so on a phone a long one was cut off, and on a touch screen (no hover) Plotly's
    toolbar, always shown there, covered it. The figure keeps a top margin for the toolbar."""
    title = fig.layout.title.text
    if title:
        st.markdown(f"**{plain(title)}**")
        fig.update_layout(title=None, margin_t=36)
    st.plotly_chart(fig, **kwargs)
