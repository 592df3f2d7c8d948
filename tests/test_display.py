"""labapp.display.image_source: what st.image gets. Small PNGs travel as data URLs (no media request
of their own), big ones as bytes; each distinct image is encoded once."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from labapp import display


def decoded(source) -> np.ndarray:
    data = base64.b64decode(source.split(",", 1)[1]) if isinstance(source, str) else source
    return np.asarray(Image.open(io.BytesIO(data)))


def test_a_small_image_becomes_a_png_data_url_with_the_same_pixels():
    image = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    source = display.image_source(image)
    assert isinstance(source, str) and source.startswith("data:image/png;base64,")
    assert np.array_equal(decoded(source), image)


def test_a_big_image_goes_as_png_bytes():
    noise = np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8)  # does not compress
    source = display.image_source(noise)
    assert isinstance(source, bytes) and len(source) > display.INLINE_BYTES
    assert np.array_equal(decoded(source), noise)


def test_the_same_pixels_are_encoded_once_and_other_shapes_are_other_images(monkeypatch):
    calls = []
    encode = display.png_bytes
    monkeypatch.setattr(display, "png_bytes", lambda image: calls.append(image.shape) or encode(image))
    image = np.arange(64 * 3, dtype=np.uint8).reshape(8, 8, 3)
    first = display.image_source(image)
    assert display.image_source(image.copy()) is first and len(calls) == 1
    other = display.image_source(image.reshape(8, 24))  # same bytes, another picture
    assert other != first and decoded(other).shape == (8, 24) and len(calls) == 2


def test_the_store_keeps_a_bounded_number_of_images(monkeypatch):
    monkeypatch.setattr(display, "_KEEP", 5)
    for value in range(12):
        display.image_source(np.full((4, 4), value, np.uint8))
    assert len(display._ENCODED) == 5


def test_a_png_file_is_read_once_until_it_changes(tmp_path):
    path = tmp_path / "grid.png"
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(path)
    first = display.image_source(path)
    assert display.image_source(path) is first
    Image.fromarray(np.full((10, 12), 255, np.uint8)).save(path)
    assert decoded(display.image_source(path)).shape == (10, 12)


def test_error_colours_run_from_black_through_red_to_yellow():
    from aelib.preprocess.imaging import error_colours

    values = np.array([[0.0, 0.35, 0.7, 1.4]])
    colours = error_colours(values, vmax=1.0)
    assert colours.dtype == np.uint8 and colours.shape == (1, 4, 3)
    assert colours[0, 0].tolist() == [0, 0, 0] and colours[0, 1].tolist() == [178, 24, 43]
    assert colours[0, 3].tolist() == [255, 255, 102]  # beyond vmax: the top of the scale
    assert error_colours(values)[0, 3].tolist() == [255, 255, 102]  # by default vmax is the maximum
