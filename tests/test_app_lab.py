"""AppTest for the lab pages: uploads good and bad, a drawing injected through session state."""
from __future__ import annotations

import numpy as np
from app_fixtures import open_page, shown_images
from PIL import Image
from test_imaging import encode, photo_of_a_digit

GOOD = ("seven.png", encode(photo_of_a_digit()), "image/png")
BAD_FILES = [("empty.png", b"", "image/png"), ("notes.png", b"just some text", "image/png"),
             ("cut.jpg", encode(photo_of_a_digit(), "JPEG")[:200], "image/jpeg"),
             ("huge.png", encode(Image.new("1", (5000, 5000))), "image/png")]


def test_reconstruct_handles_good_and_bad_uploads_together(app):
    at = open_page(app, "reconstruct", "digits_ae")
    at.file_uploader[0].set_value([GOOD, *BAD_FILES]).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    for name, _, _ in BAD_FILES:
        assert name in errors
    assert [h.value for h in at.subheader] == ["seven.png"]
    assert len(shown_images(at, "reconstruction · MSE")) == 1
    assert any("test images" in a.value for a in [*at.success, *at.warning]), "every upload gets a verdict"
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
    drawing[60:220, 130:150, :3] = 0   # a black vertical stroke: a "1"
    at.session_state["drawing"] = drawing
    at.run()
    assert not at.exception
    assert any(h.value == "drawing" for h in at.subheader) and shown_images(at, "reconstruction · MSE")


def test_denoise_compares_models_and_baselines(app):
    at = open_page(app, "denoise", "digits_dae")
    rows = at.session_state["denoise_rows"]
    names = [r["name"] for r in rows]
    assert names[:2] == ["clean", "noisy input"]
    assert any(n.startswith("denoising AE") for n in names) and any(n.startswith("plain AE") for n in names)
    assert "median filter 3x3" in names and "non-local means" in names
    assert all(np.isfinite(r["psnr"]) for r in rows[1:])
    next(s for s in at.selectbox if s.label == "Noise").set_value("masking").run()
    assert not at.exception
    assert at.session_state["denoise_rows"][1]["psnr"] != rows[1]["psnr"]


def test_anomaly_threshold_moves_the_metrics_and_upload_gets_a_verdict(app):
    at = open_page(app, "anomaly", "digits_oneclass")
    first = dict(at.session_state["anomaly_metrics"])
    at.radio[0].set_value("custom").run()
    slider = at.slider[0]
    slider.set_value(slider.min + (slider.max - slider.min) * 0.9).run()
    assert not at.exception
    moved = at.session_state["anomaly_metrics"]
    assert moved["threshold"] != first["threshold"]
    assert moved["tp"] + moved["fp"] + moved["fn"] + moved["tn"] == first["tp"] + first["fp"] + first["fn"] + first["tn"]
    at.file_uploader[0].set_value(GOOD).run()
    assert not at.exception and isinstance(at.session_state["upload_verdict"], bool)
    at.file_uploader[0].set_value(BAD_FILES[1]).run()
    assert any("notes.png" in e.value for e in at.error)


def test_interpolate_and_denoise_uploads_get_a_verdict(app):
    at = open_page(app, "interpolate", "digits_ae")
    next(r for r in at.radio if r.label == "Source").set_value("Upload").run()
    at.file_uploader[0].set_value(GOOD).run()
    assert not at.exception
    assert any("training data" in t.value or "unlike anything" in t.value.lower() for t in [*at.caption, *at.warning])
