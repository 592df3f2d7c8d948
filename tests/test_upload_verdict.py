"""Issue #22: the graded verdict (typical / unusual / unlike, no_face on a face model), its
reasons, and the words in `python -m aelib reconstruct --json`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aelib.cli import main
from aelib.explore.verdict import grade, verdict_reference
from aelib.io.bundle import Bundle

ROOT = Path(__file__).resolve().parent.parent
CONV_AE = ROOT / "checkpoints" / "mnist_conv_ae.safetensors"
FACES = ROOT / "checkpoints" / "olivetti_conv_vae.safetensors"


@pytest.fixture(scope="module")
def reference():
    """A bundle of 500 codes from a 2-d standard normal, errors log-normal around 0.01."""
    rng = np.random.default_rng(0)
    bundle = Bundle(codes=rng.normal(0, 1, (500, 2)), score=np.exp(rng.normal(np.log(0.01), 0.3, 500)))
    return verdict_reference(bundle)


def test_a_code_among_the_test_codes_is_typical_and_a_far_one_unlike(reference):
    inside = grade(np.array([0.3, -0.2]), 0.01, 1.0, reference)
    assert inside["word"] == "typical" and inside["text"].startswith("Typical for this model")
    far = grade(np.array([30.0, -30.0]), 0.01, 1.0, reference)
    assert far["word"] == "unlike" and "code lies far from" in far["text"]
    centre, scale = reference["error"]
    poor = grade(np.array([0.3, -0.2]), np.exp(centre + scale * (reference[True]["typical"] + 1.5)), 1.0, reference)
    assert poor["word"] == "unusual" and "cannot redraw it well" in poor["text"]


def test_a_score_near_a_limit_says_it_is_a_close_call(reference):
    centre, scale = reference["error"]  # the test errors' log median and robust spread
    just_over = grade(np.zeros(2), np.exp(centre + scale * (reference[True]["typical"] + 0.2)), 1.0, reference)
    assert just_over["word"] == "unusual" and just_over["near_boundary"] == "typical"
    assert "close call" in just_over["text"]


def test_the_verdict_judges_the_upload_not_only_the_part_that_was_kept(reference):
    sliver = grade(np.array([0.1, 0.1]), 0.01, 1.0, reference, {"kept_share": 0.1, "lines_share": 0.0, "n_parts": 40})
    assert sliver["word"] == "unlike" and "only 10% of the marks" in sliver["text"]
    most = grade(np.array([0.1, 0.1]), 0.01, 1.0, reference, {"kept_share": 0.5, "lines_share": 0.0, "n_parts": 3})
    assert most["word"] == "unusual"
    empty = grade(np.array([0.1, 0.1]), 0.001, 0.05, reference)
    assert empty["word"] == "unlike" and "almost empty" in empty["text"]


def test_a_face_model_without_a_face_says_no_face(reference):
    assert grade(np.zeros(2), 0.01, 1.0, reference, {"face": False})["word"] == "no_face"
    face = grade(np.array([30.0, 30.0]), 0.01, 1.0, reference, {"face": True, "confidence": 8, "manual": False})
    assert face["word"] == "typical" and "face this model can represent" in face["text"]  # the code is not used


def _png(array: np.ndarray, path: Path) -> str:
    buffer = io.BytesIO()
    Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_the_cli_reports_one_verdict_word_its_sentence_and_the_label(tmp_path, capsys):
    from skimage import color, data

    digit = ROOT / "assets" / "samples" / "digit_photo.png"
    cup = _png(color.rgb2gray(data.coffee()), tmp_path / "coffee.png")
    assert main(["reconstruct", str(CONV_AE), str(digit), cup, "--json"]) == 0
    seven, coffee = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (
        seven["verdict"] == "typical" and seven["verdict_text"].startswith("Typical") and seven["nearest_label"] == "7"
    )
    assert coffee["verdict"] in ("unusual", "unlike") and "nearest_label" in coffee


def test_on_a_face_model_a_photo_without_a_face_is_no_face_and_a_portrait_is_not(tmp_path, capsys):
    from skimage import color, data

    cup = _png(color.rgb2gray(data.coffee()), tmp_path / "coffee.png")
    portrait = _png(color.rgb2gray(data.astronaut()), tmp_path / "astronaut.png")
    assert main(["reconstruct", str(FACES), cup, portrait, "--json"]) == 0
    coffee, astronaut = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert coffee["verdict"] == "no_face" and coffee["verdict_text"].startswith("No face found")
    assert astronaut["verdict"] in ("typical", "unusual", "unlike") and "face detector" in astronaut["verdict_text"]


def test_two_moderate_warnings_add_up_where_each_alone_is_typical(reference):
    """The score is the length of the error's and the code's excess, not the larger one: an input
    both redrawn a little worse and lying a little farther out than most test images is unusual
    (benchmarks/upload_verdict.py: clothes ranked 0.981 -> 0.994 against MNIST test digits)."""
    from aelib.explore.verdict import knn_distance

    limit = reference[True]["typical"]
    (e_centre, e_scale), (c_centre, c_scale) = reference["error"], reference["code"]
    units = 0.8 * limit  # each part alone: below the typical limit

    def code_at(target):  # a code along the diagonal whose k-NN distance is `target` robust units
        radii = np.linspace(0, 10, 2001)
        found = [
            (np.log(knn_distance(reference["codes"], r * np.ones(2) / np.sqrt(2))) - c_centre) / c_scale for r in radii
        ]
        return radii[int(np.argmin(np.abs(np.array(found) - target)))] * np.ones(2) / np.sqrt(2)

    mse = float(np.exp(e_centre + e_scale * units))
    assert grade(np.zeros(2), mse, 1.0, reference)["word"] == "typical"  # the error alone
    assert grade(code_at(units), float(np.exp(e_centre)), 1.0, reference)["word"] == "typical"  # the code alone
    both = grade(code_at(units), mse, 1.0, reference)
    assert both["word"] == "unusual" and both["score"] > limit


def test_a_photograph_of_a_scene_is_judged_by_its_clutter_not_by_the_sliver_it_kept(reference):
    """aelib.preprocess.ink.clutter: the share of the upload away from the digit as bright as its strokes.
    0 on a page with a digit; a photograph of a cup keeps a stroke-like sliver, but the rest of
    it is full of marks as bright, and the verdict says so."""
    from skimage import color, data

    from aelib.explore.inference import prepare_upload

    page = prepare_upload((ROOT / "assets" / "samples" / "digit_photo.png").read_bytes(), "d.png", "mnist", (1, 28, 28))
    cup = io.BytesIO()
    Image.fromarray((color.rgb2gray(data.coffee()) * 255).astype(np.uint8)).save(cup, format="PNG")
    scene = prepare_upload(cup.getvalue(), "coffee.png", "mnist", (1, 28, 28))
    assert page["evidence"]["clutter"] < 0.01 and scene["evidence"]["clutter"] > 0.03
    clean = {"kept_share": 1.0, "lines_share": 0.0, "n_parts": 1}
    assert grade(np.zeros(2), 0.01, 1.0, reference, {**clean, "clutter": 0.0})["word"] == "typical"
    cluttered = grade(np.zeros(2), 0.01, 1.0, reference, {**clean, "clutter": scene["evidence"]["clutter"]})
    assert cluttered["word"] != "typical" and "photograph of a scene" in cluttered["text"]
