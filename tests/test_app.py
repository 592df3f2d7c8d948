"""Every explorer page under AppTest against tiny checkpoints made here (not the shipped ones).
The assertions read what the page shows: titles, captions, warnings, images."""

from __future__ import annotations

import pytest
from app_fixtures import PAGE_FILES, ROOT, open_page, server_side, shown_images
from streamlit.testing.v1 import AppTest

from labapp import keys

# Each page with the models it accepts: image models with and without labels, a conditional one.
PAGE_CASES = [
    ("home", "digits_vae2d"),
    ("latent_map", "digits_vae2d"),
    ("latent_map", "tiny_unlabelled"),
    ("generate", "digits_cvae"),
    ("generate", "tiny_unlabelled"),
    ("interpolate", "digits_cvae"),
    ("interpolate", "tiny_unlabelled"),
    ("reconstruct", "digits_dae"),
    ("latent_map", "tiny_colour"),
    ("generate", "tiny_colour"),
    ("interpolate", "tiny_colour"),
    ("reconstruct", "tiny_colour"),
    ("denoise", "digits_dae"),
    ("anomaly", "digits_oneclass"),
    ("time_series", "tiny_ecg"),
    ("tabular", None),
]


@pytest.mark.parametrize("page,model", PAGE_CASES)
def test_every_page_renders(app, page, model):
    at = open_page(app, page, model)
    assert at.title and not at.error, [e.value for e in at.error]
    if model and page not in ("home", "tabular"):
        assert at.sidebar.selectbox[0].value == model


def open_tab(at, name: str):
    """Open one of Generate's tabs (only the open one is drawn)."""
    at.session_state[keys.GENERATE_TAB] = name
    return at.run()


def test_generate_slider_changes_the_decoded_image_and_the_traversal(app):
    at = open_page(app, "generate", "digits_vae2d")
    strip = shown_images(open_tab(at, "Traversal"), "the current code")
    assert strip and not [s for s in at.slider if s.label.startswith("z[")]  # the hidden tab is not drawn
    before = shown_images(open_tab(at, "Latent sliders"), "decoded")
    # the second slider: the traversal sweeps the first dimension, so it shows a move of any other
    slider = [s for s in at.slider if s.label.startswith("z[")][1]
    slider.set_value(min(slider.max, slider.value + 2.0)).run()
    assert not at.exception
    assert shown_images(at, "decoded") != before
    assert shown_images(open_tab(at, "Traversal"), "the current code") != strip, "the traversal must follow"


def test_generate_principal_slider_moves_the_latent_sliders_too(app):
    at = open_page(app, "generate", "digits_vae2d")
    z_before = [s.value for s in at.slider if s.label.startswith("z[")]
    next(s for s in open_tab(at, "Principal directions").slider if s.label.startswith("PC1")).set_value(2.0).run()
    assert not at.exception
    assert next(s for s in at.slider if s.label.startswith("PC1")).value == pytest.approx(2.0, abs=0.05)
    assert [s.value for s in open_tab(at, "Latent sliders").slider if s.label.startswith("z[")] != z_before


def test_generate_keeps_the_code_across_navigation(app):
    at = open_page(app, "generate", "digits_vae2d")
    slider = next(s for s in at.slider if s.label.startswith("z["))
    slider.set_value(1.25).run()
    image = shown_images(at, "decoded")
    at.switch_page(PAGE_FILES["latent_map"]).run()
    at.switch_page(PAGE_FILES["generate"]).run()
    assert next(s for s in at.slider if s.label == slider.label).value == pytest.approx(1.25)
    assert shown_images(at, "decoded") == image


def test_sidebar_picker_switches_the_model_and_the_url(app):
    at = open_page(app, "generate", "digits_vae2d")
    at.sidebar.selectbox[0].set_value("digits_cvae").run()
    assert not at.exception
    assert at.sidebar.selectbox[0].value == "digits_cvae"
    assert at.query_params["model"] == ["digits_cvae"] or at.query_params["model"] == "digits_cvae"
    at.switch_page(PAGE_FILES["interpolate"]).run()
    assert at.sidebar.selectbox[0].value == "digits_cvae"


def test_unknown_model_in_url_warns_in_plain_text_and_falls_back(app):
    at = open_page(app, "generate")
    at.query_params["model"] = "[Log in again](http://attacker/phish)"  # as if the link were opened here
    at.run()
    warning = next(w.value for w in at.warning if "Unknown model" in w.value)
    assert "](" not in warning.replace("\\]\\(", "")  # the link syntax is escaped, so it renders as text
    assert shown_images(at, "decoded")


def test_damaged_checkpoint_is_reported_and_others_still_work(tmp_path, monkeypatch, tiny_dir):
    for path in tiny_dir.glob("digits_ae.safetensors"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 100)
    monkeypatch.setenv("AELIB_CHECKPOINTS", str(tmp_path))
    monkeypatch.chdir(ROOT)
    at = server_side(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60))
    at.run()
    assert not at.exception
    assert any("broken" in e.value for e in at.error)
    at.switch_page(PAGE_FILES["generate"]).run()
    assert not at.exception and shown_images(at, "decoded")


def test_map_selection_shows_the_selected_images(app):
    at = open_page(app, "latent_map", "digits_vae2d")
    at.session_state["map_mouse"] = "Box select"  # the plotly map (Hover, the default, decodes in the browser)
    chart_key = "map_digits_vae2d_PCA_120_0"
    at.session_state[chart_key] = {
        "selection": {
            "points": [
                {"curve_number": 0, "point_index": 0, "customdata": 3},
                {"curve_number": 1, "point_index": 0, "customdata": 5},
            ],
            "point_indices": [0],
            "box": [],
            "lasso": [],
        }
    }
    at.run()
    assert not at.exception
    assert any("Selected 2 point(s)" in h.value for h in at.subheader)
    # one image: the two selected images above their two reconstructions, tiles of one size
    [pairs] = shown_images(at, "bottom: their reconstructions")
    assert "#3" in next(t for e in at.get("image") for t in e.captions if "bottom:" in t)
    assert len(shown_images(at)) == 1


def test_map_click_on_empty_space_decodes_that_spot(app):
    at = open_page(app, "latent_map", "digits_vae2d")
    at.session_state["map_mouse"] = "Click"
    grid_curve = 10  # one trace per digit class, then the click grid
    at.session_state["map_digits_vae2d_PCA_120_0"] = {
        "selection": {
            "points": [{"curve_number": grid_curve, "point_index": 0, "x": 0.1, "y": -0.2}],
            "point_indices": [0],
            "box": [],
            "lasso": [],
        }
    }
    at.run()
    assert not at.exception
    assert shown_images(at, "decoded at (0.10, -0.20)")
    # the spot becomes the model's current code: Generate's sliders show it
    import os
    from pathlib import Path

    import numpy as np

    from aelib import load_bundle

    bundle = load_bundle(Path(os.environ["AELIB_CHECKPOINTS"]) / "digits_vae2d.safetensors")
    expected = bundle.plane.inverse(np.array([[0.1, -0.2]], np.float32))[0]
    at.switch_page(PAGE_FILES["generate"]).run()
    shown = [next(s.value for s in at.slider if s.label == f"z[{d}]") for d in range(2)]
    np.testing.assert_allclose(shown, np.clip(expected, -3.5, 3.5), atol=0.01)


@pytest.mark.parametrize("model", ["digits_vae2d", "digits_cvae", "tiny_unlabelled"])
@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_interpolation_strip_has_n_distinct_frames_by_default(app, method, model):
    at = open_page(app, "interpolate", model)
    next(s for s in at.slider if s.label == "Steps").set_value(7)
    next(r for r in at.radio if r.label == "Path").set_value(method)
    at.run()
    assert not at.exception and not at.warning
    frames = [shown_images(at, f"t={t:.2f}")[0] for t in (0, 1 / 6, 1)]
    assert len(set(frames)) == 3


@pytest.mark.parametrize("page", ["latent_map", "generate", "interpolate"])
def test_model_without_bundle_gets_a_clear_message(app, page):
    at = open_page(app, page, "tiny_nobundle")
    assert any("no explorer bundle" in i.value for i in at.info)


def test_a_newcomers_page_that_needs_another_model_says_which_it_shows(app):
    at = open_page(app, "denoise")  # a new session: the default model is no denoising model
    assert not at.info  # (no "does not fit": the newcomer chose nothing)
    assert any("This page shows digits_dae: it needs a model trained with --denoise" in c.value for c in at.caption)


def test_a_page_that_needs_another_model_says_so_and_keeps_the_users_choice(app):
    at = open_page(app, "denoise")
    at.query_params["model"] = "digits_vae2d"  # a real model, but not a denoising one
    at.run()
    assert not any("Unknown model" in w.value for w in at.warning)
    assert any("digits_vae2d does not fit this page" in i.value for i in at.info)
    assert at.sidebar.selectbox[0].value == "digits_dae"
    at.switch_page(PAGE_FILES["generate"]).run()
    assert at.sidebar.selectbox[0].value == "digits_vae2d"


@pytest.mark.parametrize("page,caption", [("reconstruct", "reconstruction · MSE"), ("generate", "decoded")])
def test_a_colour_model_works_on_the_image_pages(app, page, caption):
    at = open_page(app, page, "tiny_colour")
    assert not at.error and not at.info, [*at.error, *at.info]
    assert shown_images(at, caption)


def test_generate_starts_the_cvae_with_the_test_images_own_class(app):
    import os
    from pathlib import Path

    from aelib import load_bundle

    labels = load_bundle(Path(os.environ["AELIB_CHECKPOINTS"]) / "digits_cvae.safetensors").labels
    at = open_page(app, "generate", "digits_cvae")
    picker = next(s for s in at.selectbox if s.label.startswith("Class"))
    assert picker.value == labels[0]
    next(n for n in at.number_input if n.label == "Test image").set_value(5).run()
    next(b for b in at.button if b.label == "Start from this test image").click().run()
    assert next(s for s in at.selectbox if s.label.startswith("Class")).value == labels[5]


def test_a_blank_upload_on_a_face_model_is_no_face_and_the_crop_stays_automatic(app):
    """A crop the user never set must not turn "no face found" into a verdict about a face."""
    import io

    from PIL import Image

    at = open_page(app, "reconstruct", "tiny_unlabelled")  # a Frey (face) model
    blank = io.BytesIO()
    Image.new("L", (100, 100), 255).save(blank, format="PNG")
    at.file_uploader[0].set_value(("blank.png", blank.getvalue(), "image/png")).run()
    assert not at.exception
    assert not next(t for t in at.toggle if t.label.startswith("Set the face crop by hand")).value
    assert any(e.value.startswith("**No face found:**") for e in at.error), [e.value for e in at.error]


def test_tabular_latent_size_defaults_below_the_column_count_and_warns_when_too_wide(app):
    at = open_page(app, "tabular")  # the tiny odds_cardio table: 6 columns
    slider = next(s for s in at.slider if s.label == "Latent size")
    assert slider.value == 2 and not at.warning  # was 4: two numbers short of copying the row
    slider.set_value(4).run()
    assert any("keeps more than half of the 6 columns" in w.value for w in at.warning)


def test_reconstruct_draw_tab_invites_to_draw_and_judges_nothing_before_a_drawing(app):
    """The Draw tab used to show the verdict on test image 0 below an empty canvas."""
    at = open_page(app, "reconstruct", "digits_ae")
    assert any(s.value.startswith("test image") for s in at.subheader)  # the Upload tab's first view
    at.session_state["reconstruct_source"] = "Draw"
    at.run()
    assert not at.exception
    assert not at.subheader and not at.success and not at.warning and not at.error
    assert any(i.value.startswith("Draw in the square above") for i in at.info), [i.value for i in at.info]
