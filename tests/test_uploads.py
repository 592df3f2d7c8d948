"""The upload pipeline on inputs as messy as a user's: pen photos with shadows and ruled lines,
sideways EXIF, thin strokes, clothes that fill the frame, portraits; and the verdict on each."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from aelib import load_bundle, load_checkpoint
from aelib.explore.inference import prepare_image, prepare_upload
from aelib.explore.lab import explain_reconstruction
from aelib.preprocess.faces import detect_faces
from aelib.preprocess.imaging import decode_image
from aelib.preprocess.uploads import MNIST_STROKE, light_on_dark, prepare_digit, prepare_object, stroke_width

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import real_uploads  # the benchmark's photo maker

CONV_AE = ROOT / "checkpoints" / "mnist_conv_ae.safetensors"


@pytest.fixture(scope="module")
def conv_ae():
    return load_checkpoint(CONV_AE).model, load_bundle(CONV_AE)


def test_a_small_version_of_the_real_uploads_benchmark_meets_its_bars():
    """Photos made from the bundle's own digits (their own code left out of the neighbours)."""
    results = real_uploads.run(str(CONV_AE), 16, None, None, seed=3, kinds=("mnist", "scan", "phone"))
    assert results["mnist"]["accuracy"] >= 0.8 and results["scan"]["accuracy"] >= 0.8
    assert results["phone"]["accuracy"] >= 0.7 and results["phone"]["refused"] == 0


def test_a_sideways_phone_photo_is_turned_upright_by_its_exif_tag():
    upright = np.zeros((300, 200, 3))
    upright[40:60, 50:150] = 1.0  # a bar near the top
    stored = np.rot90(upright, 1)  # how the phone stored it, with tag 6
    gray, notes = decode_image(real_uploads.encode(stored, "JPEG", 90, orientation=6), "side.jpg")
    assert gray.shape == (300, 200) and any("EXIF orientation (6)" in n for n in notes)
    assert gray[40:60, 50:150].mean() > 0.8 and gray[240:260, 50:150].mean() < 0.2


def test_a_thin_pen_line_is_thickened_to_mnist_width_and_peaks_at_one():
    digit = load_bundle(CONV_AE).images[0, 0] / 255.0
    page = np.full((1400, 1400), 0.9)
    page[300:1100, 300:1100][real_uploads.pen_strokes(digit, 800, 2.0)] = 0.2  # a 2-px line, 800 px tall
    prepared = prepare_digit(page)
    assert prepared.image.max() > 0.95 and prepared.image.sum() > 40  # not a faint ghost
    assert stroke_width(prepared.image > 0.5) >= 0.8 * MNIST_STROKE
    assert any("thickened" in note for note in prepared.notes)


def test_a_one_covering_a_fraction_of_a_percent_is_found_not_called_blank():
    page = np.full((1000, 1000), 0.85)
    page[300:700, 498:501] = 0.25  # a 3-px '1', 0.12% of the pixels
    image = prepare_digit(page).image
    cy, cx = ndimage.center_of_mass(image)
    rows, cols = np.nonzero(image > 0.3)
    assert abs(cy - 13.5) < 1 and abs(cx - 13.5) < 1 and np.ptp(rows) >= 17 and np.ptp(cols) <= 6


def test_ruled_lines_a_shadow_edge_and_a_neighbour_are_dropped():
    digit = load_bundle(CONV_AE).images[3, 0] / 255.0
    page = np.full((760, 1000), 0.88)  # under 1024 px: kept at full size
    page[5::70] = 0.6  # ruled lines across the page
    page[150:650, 400:900][real_uploads.pen_strokes(digit, 500, 4)] = 0.15
    page[150:650, :120][real_uploads.pen_strokes(digit, 500, 4)[:, 380:]] = 0.15  # a neighbour cut by the frame
    yy, xx = np.mgrid[0:760, 0:1000]
    page = page * np.where(xx + yy < 600, 0.55, 1.0)  # a hard shadow across a corner
    kept = prepare_digit(page).steps[2][1] > 0
    assert not kept[:, :380].any(), "neighbour, shadow edge or lines kept"
    assert not kept[5::70][:, 910:].any(), "ruled lines kept"
    assert kept[150:650, 400:900].sum() == kept.sum() > 0


@pytest.mark.parametrize("background,garment", [(0.95, 0.3), (0.2, 0.8)])
def test_clothes_on_light_or_dark_backgrounds_come_out_light_on_dark(background, garment):
    photo = np.full((400, 300), background)
    photo[30:370, 40:260] = garment  # fills most of the frame
    image = prepare_object(photo, (28, 28)).image
    assert image[14, 14] > 0.8 and image[0, 0] < 0.1


def test_border_polarity_not_the_median():
    dress = np.full((100, 100), 0.3)  # a dark dress filling the frame of a white photo
    dress[:5], dress[-5:], dress[:, :5], dress[:, -5:] = 0.97, 0.97, 0.97, 0.97
    assert light_on_dark(dress)[1] is True


def test_a_face_is_found_in_a_portrait_and_framed_like_olivetti():
    from skimage import color, data

    astronaut = color.rgb2gray(data.astronaut()).astype(np.float32)
    top, left, height, width = detect_faces(astronaut)[0]
    assert 50 < top < 120 and 150 < left < 220 and 70 < width < 130  # Eileen Collins's face
    prepared = prepare_image(astronaut, "olivetti", (1, 64, 64))
    assert prepared.image.shape == (64, 64) and prepared.face_box == (top, left, height, width)


def test_no_face_says_so_and_uses_the_centre():
    prepared = prepare_image(np.random.default_rng(0).random((600, 400)).astype(np.float32), "olivetti", (1, 64, 64))
    assert any("no face found" in note for note in prepared.notes)


def test_the_verdict_flags_empty_and_foreign_inputs_and_passes_a_real_digit(conv_ae):
    model, bundle = conv_ae
    digit = prepare_upload(
        real_uploads.encode(np.repeat(bundle.images[7, 0, ..., None] / 255.0, 3, -1)),
        "seven.png",
        "mnist",
        (1, 28, 28),
    )["image"]
    assert explain_reconstruction(model, digit, bundle)["typicality"]["typical"]
    empty = explain_reconstruction(model, np.zeros((28, 28), np.float32), bundle)["typicality"]
    assert not empty["typical"] and "almost empty" in empty["verdict"]
    clothes = explain_reconstruction(model, bundle.ood_images[0, 0] / 255.0, bundle)["typicality"]
    assert not clothes["typical"] and clothes["error_percentile"] > 95


def test_blank_and_noise_uploads_are_refused_naming_the_file():
    for name, pixels in [("blank.png", np.full((300, 300), 0.9)), ("flat.png", np.full((50, 50), 0.2))]:
        data = io.BytesIO()
        Image.fromarray((pixels * 255).astype(np.uint8)).save(data, format="PNG")
        with pytest.raises(Exception, match=f"{name}: no ink found"):
            prepare_upload(data.getvalue(), name, "mnist", (1, 28, 28))


def test_the_cli_reconstructs_files_like_the_page_and_names_bad_ones(tmp_path, capsys):
    import json

    from aelib.cli import main

    good, bad = ROOT / "assets" / "samples" / "digit_photo.png", tmp_path / "notes.png"
    bad.write_text("not an image")
    status = main(["reconstruct", str(CONV_AE), str(good), str(bad), "--json", "--out", str(tmp_path / "out")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 2 and lines[1] == {
        "file": str(bad),
        "error": "notes.png: not an image file that can be read (PNG, JPEG, BMP, WebP)",
    }
    assert lines[0]["nearest_label"] == "7" and lines[0]["verdict"] == "typical"  # one word; the sentence apart
    assert lines[0]["verdict_text"].startswith("Typical for this model")
    assert 0 <= lines[0]["error_percentile"] <= 100 and lines[0]["mse"] > 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "digit_photo_input.png",
        "digit_photo_reconstruction.png",
    ]


def test_a_colour_model_gets_a_colour_input_from_an_upload():
    from aelib.explore.inference import prepare_upload

    photo = np.zeros((90, 160, 3), np.uint8)
    photo[:, :80] = (200, 30, 30)  # red left half, blue right half: the centre square keeps both
    photo[:, 80:] = (30, 30, 200)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "PNG")
    prepared = prepare_upload(buffer.getvalue(), "halves.png", "user_images", (3, 16, 16))
    image = prepared["image"]
    assert image.shape == (16, 16, 3)
    assert image[8, 2, 0] > 0.7 > image[8, 2, 2] and image[8, 13, 2] > 0.7 > image[8, 13, 0]


def canvas_drawing(shape: str) -> np.ndarray:
    """(280, 280) in [0, 1]: what the app's drawing canvas sends, a black pen 18 px wide on white."""
    from PIL import ImageDraw

    image = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(image)
    if shape == "ring":
        pen.ellipse((80, 50, 200, 230), outline=0, width=18)
    elif shape == "disk":
        pen.ellipse((70, 50, 210, 230), fill=0)
    else:  # a straight one
        pen.line((140, 40, 140, 240), fill=0, width=18)
    return np.asarray(image, np.float32) / 255


@pytest.mark.parametrize("drawn", [True, False])
def test_a_drawn_zero_stays_a_closed_ring(drawn):
    """The photo pipeline's lighting flattening cut a clean drawn ring across its sides (the model
    got a C or two arcs); a canvas drawing is taken as it is. drawn=False: an upload of the same
    picture, which the photo pipeline must also keep whole."""
    image = prepare_image(canvas_drawing("ring"), "mnist", (1, 28, 28), drawn=drawn).image
    ink = image > 0.3
    assert ndimage.label(ink)[1] == 1, "one stroke"
    assert ndimage.binary_fill_holes(ink).sum() > 1.3 * ink.sum(), "around a hole"


def test_a_straight_drawn_one_is_strokes_and_a_filled_disk_is_not(conv_ae):
    """A vertical 1 fills its whole bounding box (fill 1.0) but is as thin as a pen: the verdict
    called it "a filled shape rather than pen strokes" and unusual; a filled disk still is one."""
    model, bundle = conv_ae
    one = prepare_image(canvas_drawing("one"), "mnist", (1, 28, 28), drawn=True)
    verdict = explain_reconstruction(model, one.image, bundle, evidence=one.evidence)["typicality"]
    assert verdict["word"] == "typical" and "filled shape" not in verdict["text"], verdict["text"]
    disk = prepare_image(canvas_drawing("disk"), "mnist", (1, 28, 28), drawn=True)
    verdict = explain_reconstruction(model, disk.image, bundle, evidence=disk.evidence)["typicality"]
    assert verdict["word"] == "unlike", verdict["text"]
    from aelib.explore.verdict import _fill

    reference = {"fill": (0.3, 0.1), "thickness": 0.15}
    assert _fill({"fill": 1.0, "thickness": 0.09}, reference) == 0.3  # a pen stroke: no excess
    assert _fill({"fill": 0.9, "thickness": 0.6}, reference) == 0.9  # thick and full: a filled shape
