"""Every page renders under AppTest against tiny checkpoints made here (not the shipped ones)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_fixtures import make_tiny_checkpoints

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = {"latent_map": "pages/1_Latent_map.py", "generate": "pages/2_Generate.py",
              "interpolate": "pages/3_Interpolate.py", "reconstruct": "pages/4_Reconstruct.py",
              "denoise": "pages/5_Denoise.py", "anomaly": "pages/6_Anomalies.py",
              "time_series": "pages/7_Time_series.py", "tabular": "pages/8_Tabular_anomalies.py"}
PAGES = ["home", *PAGE_FILES]


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return make_tiny_checkpoints(tmp_path_factory.mktemp("tiny_checkpoints"))


@pytest.fixture
def app(tiny_dir, monkeypatch):
    monkeypatch.setenv("AELIB_CHECKPOINTS", str(tiny_dir))
    monkeypatch.chdir(ROOT)
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def open_page(app, page: str, model: str | None = None) -> AppTest:
    if model:
        app.query_params["model"] = model
    app.run()
    if page != "home":
        app.switch_page(PAGE_FILES[page])
        app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("model", ["digits_vae2d", "digits_cvae", "digits_dae", "tiny_unlabelled"])
def test_every_page_renders(app, page, model):
    at = open_page(app, page, model)
    assert at.title, f"{page} has no title"


def test_generate_slider_changes_the_decoded_image(app):
    at = open_page(app, "generate", "digits_vae2d")
    before = at.session_state["generated_image"].copy()
    slider = next(s for s in at.slider if s.label.startswith("z["))
    slider.set_value(min(slider.max, slider.value + 2.0)).run()
    after = at.session_state["generated_image"]
    assert not np.allclose(before, after)


def test_unknown_model_in_url_warns_and_falls_back(app):
    at = open_page(app, "generate", "no_such_model")
    assert any("Unknown model" in w.value for w in at.warning)
    assert "generated_image" in at.session_state


def test_damaged_checkpoint_is_reported_and_others_still_work(tmp_path, monkeypatch, tiny_dir):
    for path in tiny_dir.glob("digits_ae.safetensors"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 100)
    monkeypatch.setenv("AELIB_CHECKPOINTS", str(tmp_path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("broken.safetensors" in e.value for e in at.error)
    at.switch_page(PAGE_FILES["generate"]).run()
    assert not at.exception and "generated_image" in at.session_state


def test_map_selection_shows_the_selected_images(app):
    at = open_page(app, "latent_map", "digits_vae2d")
    n_images_before = len(at.get("image"))
    chart_key = "map_digits_vae2d_PCA_120"
    at.session_state[chart_key] = {"selection": {"points": [{"curve_number": 0, "point_index": 0, "customdata": 3},
                                                            {"curve_number": 1, "point_index": 0, "customdata": 5}],
                                                 "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception
    assert at.session_state["map_selection"] == [3, 5]
    assert len(at.get("image")) >= n_images_before + 4  # two images and two reconstructions


@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_interpolation_strip_has_n_frames_ending_at_the_decoded_endpoints(app, method):
    at = open_page(app, "interpolate", "digits_vae2d")
    at.slider[0].set_value(7)
    at.radio[2].set_value(method)
    at.run()
    assert not at.exception
    frames, ends = at.session_state["interp_frames"], at.session_state["interp_endpoints"]
    assert len(frames) == 7
    assert np.allclose(frames[0], ends[0], atol=1e-5) and np.allclose(frames[-1], ends[1], atol=1e-5)
    assert not np.allclose(frames[0], frames[-1])


@pytest.mark.parametrize("page", ["latent_map", "generate", "interpolate"])
def test_model_without_bundle_gets_a_clear_message(app, page):
    at = open_page(app, page, "tiny_nobundle")
    assert any("no explorer bundle" in i.value for i in at.info)
