"""AppTest for the lab pages: uploads good and bad, a drawing injected through session state."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from app_fixtures import open_page
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
    recon = at.session_state["reconstructions"]["seven.png"]
    assert recon.shape == (8, 8) and np.isfinite(recon).all()


def test_reconstruct_uses_an_injected_canvas_drawing(app):
    at = open_page(app, "reconstruct", "digits_vae2d")
    drawing = np.full((280, 280, 4), 255, np.uint8)
    drawing[60:220, 130:150, :3] = 0   # a black vertical stroke: a "1"
    at.session_state["drawing"] = drawing
    at.run()
    assert not at.exception
    assert "drawing" in at.session_state["reconstructions"]


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
