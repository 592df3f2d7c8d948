"""Upload decoding and preprocessing: every bad file gets a clear message naming it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from aelib.errors import ImageDecodeError
from aelib.explore.inference import prepare_image
from aelib.preprocess.imaging import decode_image, gif_bytes, jpeg_at_budget, psnr, ssim, tile, upscale
from aelib.preprocess.uploads import prepare_digit


def preprocess_digit(gray):
    return prepare_digit(gray).image


def encode(image: Image.Image, fmt="PNG", **kw) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kw)
    return buffer.getvalue()


def photo_of_a_digit(width=300, height=200, centre=(70, 60)) -> Image.Image:
    """Dark strokes of a '7' on a light, unevenly lit background, off-centre."""
    ramp = np.linspace(0.75, 0.95, width)[None, :] * np.ones((height, 1))
    pixels = ramp.copy()
    x0, y0 = centre
    pixels[y0 - 30 : y0 - 22, x0 - 25 : x0 + 25] = 0.15  # top bar
    for i in range(60):  # diagonal stroke
        pixels[y0 - 22 + i, x0 + 20 - i // 2 : x0 + 28 - i // 2] = 0.15
    return Image.fromarray((pixels * 255).astype(np.uint8))


def test_off_centre_digit_on_white_canvas_comes_out_centred_light_on_dark():
    gray, notes = decode_image(encode(photo_of_a_digit()), "seven.png")
    digit = preprocess_digit(gray)
    assert digit.shape == (28, 28) and notes == []
    assert digit[0].max() < 0.05 and digit[:, 0].max() < 0.05  # dark background
    assert digit.max() > 0.9  # bright ink
    cy, cx = ndimage.center_of_mass(digit)
    assert abs(cy - 13.5) < 1 and abs(cx - 13.5) < 1  # centred by mass
    rows, cols = np.nonzero(digit > 0.1)
    assert max(np.ptp(rows), np.ptp(cols)) <= 22  # fitted into ~20x20


def test_every_dataset_style_gives_the_model_its_shape():
    image = np.random.default_rng(0).random((100, 300)).astype(np.float32)
    assert prepare_image(image, "olivetti", (1, 64, 64)).image.shape == (64, 64)
    assert prepare_image(image, "frey", (1, 28, 20)).image.shape == (28, 20)
    photo = np.asarray(photo_of_a_digit(), np.float32) / 255
    assert prepare_image(photo, "fashion_mnist", (1, 28, 28)).image.shape == (28, 28)


@pytest.mark.parametrize(
    "mode,fmt",
    [
        ("I;16", "PNG"),
        ("CMYK", "JPEG"),
        ("P", "PNG"),
        ("RGBA", "PNG"),
        ("LA", "PNG"),
        ("RGB", "WEBP"),
        ("RGB", "BMP"),
        ("1", "PNG"),
    ],
)
def test_odd_modes_and_formats_decode_to_gray(mode, fmt):
    base = photo_of_a_digit().convert("RGB")
    image = (
        base.convert(mode)
        if mode != "I;16"
        else Image.fromarray((np.asarray(base.convert("L"), np.uint16) * 257).astype(np.uint16))
    )
    gray, _ = decode_image(encode(image, fmt), f"x.{fmt.lower()}")
    assert gray.shape == (200, 300) and gray.dtype == np.float32
    assert gray.min() >= 0 and gray.max() <= 1 and gray.max() > 0.5


def test_transparent_background_is_composited_on_white():
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (10, 10, 30, 30))
    gray, _ = decode_image(encode(rgba), "ink.png")
    assert gray[0, 0] == 1.0 and gray[20, 20] == 0.0


def test_animated_gif_uses_first_frame_with_a_note():
    frames = [Image.new("L", (20, 20), v) for v in (0, 255)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    gray, notes = decode_image(data, "anim.gif")
    assert gray.max() == 0 and "first frame" in notes[0]


def test_wrong_extension_is_decoded_by_content():
    gray, _ = decode_image(encode(photo_of_a_digit(), "JPEG"), "digit.png")
    assert gray.shape == (200, 300)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"hello, I am text", "not an image"),
        (encode(photo_of_a_digit())[:300], "truncated or damaged"),
    ],
)
def test_bad_files_name_the_file(data, message):
    with pytest.raises(ImageDecodeError, match=f"bad.png: .*{message}"):
        decode_image(data, "bad.png")


def test_decompression_bomb_is_refused_before_decoding():
    bomb = encode(Image.new("1", (20000, 20000)))  # a few KB on disk, 400 megapixels in memory
    assert len(bomb) < 100_000
    with pytest.raises(ImageDecodeError, match="bomb.png: .*too large"):
        decode_image(bomb, "bomb.png")


def test_blank_image_has_no_ink():
    gray, _ = decode_image(encode(Image.new("L", (50, 50), 255)), "blank.png")
    with pytest.raises(ImageDecodeError, match="no ink"):
        preprocess_digit(gray)


def test_psnr_and_ssim_match_scikit_image():
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    rng = np.random.default_rng(0)
    clean = rng.random((28, 28))
    noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
    assert psnr(clean, noisy) == pytest.approx(peak_signal_noise_ratio(clean, noisy, data_range=1.0))
    assert ssim(clean, noisy) == pytest.approx(structural_similarity(clean, noisy, data_range=1.0))
    assert ssim(clean, clean) == pytest.approx(1.0)


def test_output_helpers():
    grid = tile(np.zeros((5, 4, 4), np.float32), n_cols=3, pad=1, pad_value=1.0)
    assert grid.shape == (9, 14) and grid[4, 0] == 1.0
    big = upscale(np.eye(3, dtype=np.uint8), 30)
    assert big.shape == (30, 30) and big[9, 9] == 1 and big[10, 9] == 0
    gif = gif_bytes(np.random.rand(4, 8, 8))
    assert Image.open(io.BytesIO(gif)).n_frames == 6  # forward then back
    digit = preprocess_digit(np.asarray(photo_of_a_digit(), np.float32) / 255)
    decoded, size, quality = jpeg_at_budget(digit, 2000)
    assert size <= 2000 and decoded.shape == (28, 28) and 1 <= quality <= 95


def test_moderately_huge_dimensions_are_refused_by_our_own_limit():
    big = encode(Image.new("1", (5000, 5000)))  # under PIL's bomb limit, over ours
    with pytest.raises(ImageDecodeError, match="big.png: 5000x5000 pixels is too large"):
        decode_image(big, "big.png")


def test_tile_handles_colour_images():
    grid = tile(np.zeros((3, 4, 4, 3), np.float32), n_cols=3, pad=1)
    assert grid.shape == (4, 14, 3)
