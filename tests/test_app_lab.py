"""AppTest for the lab pages: uploads good and bad, a drawing injected through session state."""

from __future__ import annotations

import numpy as np
from app_fixtures import open_page, shown_images
from PIL import Image
from test_imaging import encode, photo_of_a_digit

from labapp import keys

GOOD = ("seven.png", encode(photo_of_a_digit()), "image/png")
BAD_FILES = [
    ("empty.png", b"", "image/png"),
    ("notes.png", b"just some text", "image/png"),
    ("cut.jpg", encode(photo_of_a_digit(), "JPEG")[:200], "image/jpeg"),
    ("huge.png", encode(Image.new("1", (5000, 5000))), "image/png"),
]


def test_reconstruct_handles_good_and_bad_uploads_together(app):
    at = open_page(app, "reconstruct", "digits_ae")
    at.file_uploader[0].set_value([GOOD, *BAD_FILES]).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    for name, _, _ in BAD_FILES:
        assert name in errors
    assert [h.value for h in at.subheader] == ["seven.png"]
    assert len(shown_images(at, "reconstruction · MSE")) == 1
    verdicts = [a.value for a in [*at.success, *at.warning, *at.error]]
    assert any(v.startswith(("**Typical", "**Unusual", "**Unlike")) for v in verdicts), "every upload gets a verdict"
    assert not any(h.value.startswith("test image") for h in at.subheader), "no test image instead of the user's"


def test_reconstruct_with_only_failed_uploads_shows_no_result_that_is_not_the_users(app):
    at = open_page(app, "reconstruct", "digits_ae")
    at.file_uploader[0].set_value(BAD_FILES[:2]).run()
    assert not at.exception and len(at.error) == 2
    assert not shown_images(at, "reconstruction · MSE")


def test_two_uploads_with_the_same_name_both_show(app):
    at = open_page(app, "reconstruct", "digits_ae")
    at.file_uploader[0].set_value([GOOD, GOOD]).run()
    assert not at.exception and len(shown_images(at, "reconstruction · MSE")) == 2


def test_reconstruct_uses_an_injected_canvas_drawing(app):
    at = open_page(app, "reconstruct", "digits_vae2d")
    drawing = np.full((280, 280, 4), 255, np.uint8)
    drawing[60:220, 130:150, :3] = 0  # a black vertical stroke: a "1"
    at.session_state[keys.DRAWING] = drawing
    at.run()
    assert not at.exception
    assert any(h.value == "drawing" for h in at.subheader) and shown_images(at, "reconstruction · MSE")


def test_denoise_compares_models_and_baselines(app):
    at = open_page(app, "denoise", "digits_dae")
    rows = shown_table(at, "| image | PSNR (dB) | SSIM |")
    names = list(rows)
    assert names[0] == "noisy input"
    assert any(n.startswith("denoising AE") for n in names) and any(n.startswith("plain AE") for n in names)
    assert "median filter 3x3" in names and "non-local means" in names
    # the numbers are real: the denoising AE and non-local means take noise away, nothing is the clean image
    denoised = next(v for n, v in rows.items() if n.startswith("denoising AE"))
    assert denoised[0] > rows["noisy input"][0] and rows["non-local means"][0] > rows["noisy input"][0]
    assert all(ssim < 1 for _, ssim in rows.values())
    next(s for s in at.selectbox if s.label == "Noise").set_value("masking").run()
    assert not at.exception
    assert shown_table(at, "| image | PSNR (dB) | SSIM |")["noisy input"] != rows["noisy input"]


def shown_table(at, header: str) -> dict[str, tuple[float, ...]]:
    """A markdown table on the page: first cell -> the numbers in the other cells (bold removed)."""
    table = next(m.value for m in at.markdown if m.value.startswith(header))
    cells = [[c.strip().strip("*") for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    return {row[0]: tuple(float(c) for c in row[1:]) for row in cells}


def shown_metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_anomaly_threshold_moves_the_metrics_and_upload_gets_a_verdict(app):
    at = open_page(app, "anomaly", "digits_oneclass")
    first = shown_metrics(at)
    at.radio[0].set_value("custom").run()
    slider = at.slider[0]
    slider.set_value(slider.min + (slider.max - slider.min) * 0.9).run()
    assert not at.exception
    moved = shown_metrics(at)
    assert moved["AUC"] == first["AUC"]  # the ranking does not depend on the threshold
    assert int(moved["flagged"]) < int(first["flagged"])  # a higher threshold flags fewer images
    assert int(moved["missed"]) >= int(first["missed"])
    at.file_uploader[0].set_value(GOOD).run()
    assert not at.exception
    verdict = next(m.value for m in at.markdown if "seven.png scores" in m.value)
    assert verdict.startswith("**By its score** (one-class)") and verdict.endswith(("**anomalous**.", "**normal**."))
    graded = [a.value for a in [*at.success, *at.warning, *at.error]]  # and the graded verdict on the upload
    assert any(v.startswith(("Typical", "Unusual", "Unlike")) for v in graded)
    at.file_uploader[0].set_value(BAD_FILES[1]).run()
    assert any("notes.png" in e.value for e in at.error)


def test_interpolate_and_denoise_uploads_get_a_verdict(app):
    at = open_page(app, "interpolate", "digits_ae")
    next(r for r in at.radio if r.label == "Source").set_value("Upload").run()
    at.file_uploader[0].set_value(GOOD).run()
    assert not at.exception
    assert any(t.value.startswith(("Typical", "Unusual", "Unlike")) for t in [*at.caption, *at.warning])
