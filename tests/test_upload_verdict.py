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
from aelib.verdict import grade, verdict_reference

ROOT = Path(__file__).resolve().parent.parent
CONV_AE = ROOT / "checkpoints" / "mnist_conv_ae.safetensors"
FACES = ROOT / "checkpoints" / "olivetti_conv_vae.safetensors"


@pytest.fixture(scope="module")
def reference():
    """A bundle of 500 codes from a 2-d standard normal, errors log-normal around 0.01."""
    rng = np.random.default_rng(0)
    bundle = {"codes": rng.normal(0, 1, (500, 2)), "score": np.exp(rng.normal(np.log(0.01), 0.3, 500))}
    return verdict_reference(bundle)


def test_a_code_among_the_test_codes_is_typical_and_a_far_one_unlike(reference):
    inside = grade(np.array([0.3, -0.2]), 0.01, 1.0, reference)
    assert inside["word"] == "typical" and inside["text"].startswith("Typical for this model")
    far = grade(np.array([30.0, -30.0]), 0.01, 1.0, reference)
    assert far["word"] == "unlike" and "code lies farther" in far["text"]
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
