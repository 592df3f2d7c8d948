"""Showing images and user-controlled text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import streamlit as st

from aelib.preprocess.imaging import to_uint8, upscale
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


def show_images(images, captions=None, height: int = 140, n_cols: int | None = None) -> None:
    """A row (or rows) of images, enlarged with nearest-neighbour so pixels stay crisp."""
    images = list(images)
    n_cols = n_cols or len(images)
    for start in range(0, len(images), n_cols):
        columns = st.columns(n_cols)
        for i, image in enumerate(images[start : start + n_cols]):
            caption = captions[start + i] if captions else None
            enlarged = big(image, height)
            columns[i].image(enlarged, caption=caption, width=enlarged.shape[1])


def big(image: np.ndarray, height: int = 140) -> np.ndarray:
    """(H, W) or (H, W, 3) in [0, 1] -> enlarged uint8 for st.image: crisp pixels for digits and
    clothes, smooth for faces (the active model's dataset decides)."""
    image = to_uint8(image) if image.dtype != np.uint8 else image
    return upscale(image, height, smooth=st.session_state.get(keys.SMOOTH_IMAGES, False))


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
