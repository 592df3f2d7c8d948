"""The Train page under AppTest: a built-in set trained to a model every page can use, and
checkpoints opened again (or refused)."""

from __future__ import annotations

import time

from app_fixtures import PAGE_FILES, open_page, shown_images

from labapp import keys


def train_digits(at, epochs: int = 2):
    next(r for r in at.radio if r.label == "Images").set_value("Built-in").run()
    next(s for s in at.slider if s.label == "Epochs").set_value(epochs).run()
    at.button(key="train_go").click().run()
    deadline = time.monotonic() + 120
    while not at.success and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert not at.exception and at.success, [e.value for e in at.error]
    return at


def test_a_model_trained_here_is_used_on_the_other_pages(app, tiny_dir):
    at = train_digits(open_page(app, "train"))
    assert "yours_digits is ready" in at.success[0].value
    assert not list(tiny_dir.glob("yours_*")), "kept in the session only, unless AELIB_SAVE_TRAINED=1"
    assert any(p.proto.text.startswith("Done: epoch 2/2") for p in at.get("progress"))
    assert at.get("download_button")
    at.switch_page(PAGE_FILES["generate"]).run()
    assert not at.exception and at.sidebar.selectbox[0].value == "yours_digits"
    assert "yours_digits" in at.sidebar.selectbox[0].options
    assert shown_images(at, "decoded")
    at.switch_page(PAGE_FILES["latent_map"]).run()
    assert not at.exception and at.sidebar.selectbox[0].value == "yours_digits"


def test_a_downloaded_model_opens_again_and_anything_else_is_refused(app):
    at = train_digits(open_page(app, "train"), epochs=1)
    job = at.session_state[keys.TRAIN_JOB]
    uploader = next(u for u in at.get("file_uploader") if u.label == "Checkpoint")
    uploader.set_value(("junk.safetensors", b"\x00" * 64, "application/octet-stream")).run()
    assert not at.exception and any("junk.safetensors" in e.value for e in at.error)
    uploader = next(u for u in at.get("file_uploader") if u.label == "Checkpoint")
    uploader.set_value(("yours_digits.safetensors", job.checkpoint_bytes, "application/octet-stream")).run()
    assert not at.exception and any("is open" in s.value for s in at.success)
    at.switch_page(PAGE_FILES["reconstruct"]).run()
    assert not at.exception and at.sidebar.selectbox[0].value == "yours_digits_2"


def test_self_hosted_installs_can_keep_trained_models(app, monkeypatch, tmp_path, tiny_dir):
    """AELIB_SAVE_TRAINED=1 writes the model into the checkpoint folder; off by default."""
    (tmp_path / "digits_ae.safetensors").write_bytes((tiny_dir / "digits_ae.safetensors").read_bytes())
    monkeypatch.setenv("AELIB_CHECKPOINTS", str(tmp_path))
    monkeypatch.setenv("AELIB_SAVE_TRAINED", "1")
    train_digits(open_page(app, "train"), epochs=1)
    assert (tmp_path / "yours_digits.safetensors").exists()
