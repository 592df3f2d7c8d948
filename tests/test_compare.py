"""The Compare page: aelib.explore.compare's maths, the page under AppTest on tiny digits checkpoints, and
the table's card numbers against the shipped checkpoints' stored evaluations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from app_fixtures import ROOT, open_page, shown_images
from test_imaging import encode, photo_of_a_digit

from aelib import load_bundle, load_checkpoint, read_header
from aelib.explore import compare
from aelib.io import zoo
from aelib.io.zoo import ModelEntry
from aelib.preprocess.imaging import stored_to_display

SEVEN = ("seven.png", encode(photo_of_a_digit()), "image/png")


SECTIONS = 5  # rows of images and maps, each with one column per model


def kinds_shown(at) -> list[str]:
    """The kinds named above the model columns (bold markdown such as "**VAE**"), from the first
    row; every row repeats the same columns in the same order."""
    kinds = set(compare.KIND_ORDER)
    shown = [m.value.strip("*") for m in at.markdown if m.value.strip("*") in kinds]
    n = len(shown) // SECTIONS
    assert shown == shown[:n] * SECTIONS, shown
    return shown[:n]


def test_kind_names_and_default_selection():
    def entry(id, model, dataset="d", **more):
        return ModelEntry(id=id, path=f"{id}.safetensors", model=model, dataset=dataset, latent_dim=2, **more)

    entries = [
        entry("a", "ae"),
        entry("b", "conv_ae", denoise="gaussian:0.5"),
        entry("c", "conv_ae", keep_classes=(0,)),
        entry("e", "vae"),
        entry("f", "vae"),
        entry("g", "vae", "other"),
        entry("s", "conv1d_ae", kind="series"),
    ]
    same = compare.same_data(entries, "d")
    assert [e.id for e in same] == ["a", "b", "c", "e", "f"]
    assert [compare.kind_of(e) for e in same] == ["vanilla AE", "denoising AE", "one-class AE", "VAE", "VAE"]
    # one of each kind first, the one-class model (another question) after the rest of the kinds
    assert compare.default_selection(same) == ["a", "b", "e", "c", "f"]
    assert compare.default_selection(same, limit=2) == ["a", "b"]


def test_sparsity_counts_near_zero_values_and_the_error_colours_share_one_scale():
    codes = np.zeros((10, 4), np.float32)
    codes[:, 0] = 1.0
    assert compare.sparsity(codes) == pytest.approx(0.75)
    assert compare.sparsity(np.random.default_rng(0).normal(size=(500, 8))) < 0.1
    colours = compare.colour_errors(np.array([[[0.0, 0.1, 0.2, 5.0]]]), vmax=0.2)
    assert colours.shape == (1, 1, 4, 3)
    assert np.allclose(colours[0, 0, 0], 0) and np.allclose(colours[0, 0, 2], colours[0, 0, 3])
    assert colours[0, 0, 1].sum() < colours[0, 0, 2].sum()


def test_map_picture_draws_each_class_in_its_colour():
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    picture = compare.map_picture(coords, np.array([0, 1, 2]), size=40)
    assert picture.shape == (40, 40, 3)
    colours = {tuple(np.round(c, 3)) for c in picture.reshape(-1, 3)}
    assert len(colours) == 4  # the ground and three classes
    top_right, bottom_left = picture[:6, 34:].reshape(-1, 3), picture[34:, :6].reshape(-1, 3)
    assert not np.allclose(top_right, 0.98) and not np.allclose(bottom_left, 0.98)  # (1, 1) up right


def test_pick_test_images_takes_different_classes():
    labels = np.repeat(np.arange(5), 20)
    index = compare.pick_test_images(labels, len(labels), 4, seed=3)
    assert len(set(labels[index])) == 4
    assert not np.array_equal(index, compare.pick_test_images(labels, len(labels), 4, seed=4))


def test_samples_and_midpoint_shapes_and_the_noise_curve(tiny_dir):
    ae = load_checkpoint(tiny_dir / "digits_ae.safetensors").model
    vae = load_checkpoint(tiny_dir / "digits_vae2d.safetensors").model
    bundle = load_bundle(tiny_dir / "digits_dae.safetensors")
    codes = load_bundle(tiny_dir / "digits_ae.safetensors").codes
    drawn = compare.samples(ae, codes, 4)
    assert drawn["prior"].shape == drawn["fitted"].shape == (4, 8, 8)
    assert set(compare.samples(vae, codes[:, :2], 4)) == {"prior"}  # a VAE: N(0, I) is its fitted Gaussian
    pair = stored_to_display(bundle.images[:2])
    mid = compare.midpoint(ae, pair)
    assert mid.shape == (3, 8, 8)
    assert np.allclose(mid[0], compare.reconstruct(ae, pair[:1])[0], atol=1e-5)
    dae = load_checkpoint(tiny_dir / "digits_dae.safetensors").model
    numbers = compare.computed_metrics(dae, bundle, n=60)
    curve = numbers["noise_psnr"]
    assert curve.shape == (len(compare.NOISE_LEVELS),) and np.all(np.isfinite(curve))
    assert curve[0] > curve[-1]  # noise makes any model's reconstruction worse
    assert numbers["psnr_noisy_db"] == curve[compare.NOISE_LEVELS.index(compare.NOISE[1])]
    assert 0 <= numbers["sparsity"] <= 1


def test_compare_page_shows_four_kinds_with_images_and_an_upload_in_every_column(app):
    at = open_page(app, "compare", "digits_vae2d")
    assert not at.error, [e.value for e in at.error]
    kinds = kinds_shown(at)
    assert len(set(kinds)) >= 4, kinds
    n_models = len(at.multiselect[0].value)
    assert n_models == len(kinds)
    for caption in ("rebuilt · MSE", "error map", "from N(0, I)", "midpoint of the codes", "PCA map"):
        assert len(shown_images(at, caption)) == n_models, caption
    assert len(shown_images(at, "from a Gaussian fitted")) == sum("VAE" not in k for k in kinds)
    assert len(at.get("plotly_chart")) == 2  # the noise curves and the one series model's beat
    table = next(m.value for m in at.markdown if m.value.startswith("| model |"))
    assert table.count("\n| `") == n_models

    at.file_uploader[0].set_value(SEVEN).run()
    assert not at.exception and len(verdicts(at)) == n_models, verdicts(at)
    assert all(e.value in verdicts(at) for e in at.error), [e.value for e in at.error]  # no failure
    assert len(shown_images(at, "your upload: rebuilt")) == n_models
    assert len(shown_images(at, "your upload")) == n_models + 1  # and the prepared input once


def test_compare_page_adds_and_removes_models(app):
    at = open_page(app, "compare", "digits_vae2d")
    chosen = list(at.multiselect[0].value)
    dropped = chosen[0]
    at.multiselect[0].unselect(dropped).run()
    assert not at.exception
    assert len(kinds_shown(at)) == len(chosen) - 1
    assert f"`{dropped}`" not in next(m.value for m in at.markdown if m.value.startswith("| model |"))
    at.multiselect[0].select(dropped).run()
    assert not at.exception
    assert len(kinds_shown(at)) == len(chosen)
    assert len(shown_images(at, "rebuilt · MSE")) == len(chosen)


def test_a_session_model_on_the_same_data_can_be_added(app, tiny_dir):
    """A model of this session (trained on the Train page or opened there) is offered too."""
    path = tiny_dir / "digits_ae.safetensors"
    checkpoint, bundle = load_checkpoint(path), load_bundle(path)
    entry = zoo.summarise(Path("yours_digits.safetensors"), checkpoint.header, own=True)
    app.session_state["user_models"] = {"yours_digits": {"entry": entry, "checkpoint": checkpoint, "bundle": bundle}}
    app.session_state["_user_model_errors"] = []
    at = open_page(app, "compare", "digits_vae2d")
    assert "yours_digits · vanilla AE" in at.multiselect[0].options
    if "yours_digits" in at.multiselect[0].value:  # (the tiny digits have room for it among the defaults)
        at.multiselect[0].unselect("yours_digits").run()
    before = len(at.multiselect[0].value)
    at.multiselect[0].select("yours_digits").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(shown_images(at, "rebuilt · MSE")) == before + 1
    assert "`yours_digits`" in next(m.value for m in at.markdown if m.value.startswith("| model |"))


@pytest.mark.parametrize("model", ["tiny_unlabelled", "tiny_colour"])
def test_compare_page_on_data_with_one_usable_model_says_so(app, model):
    at = open_page(app, "compare", model)
    assert not at.exception and not at.error, [e.value for e in at.error]
    notes = " ".join(i.value for i in at.info)
    assert "Only one model" in notes or "at least two" in notes, notes
    assert len(shown_images(at, "rebuilt · MSE")) == 1  # the one model is still shown, without errors


SHIPPED = [i for i in compare.DEFAULT_IDS if (ROOT / "checkpoints" / f"{i}.safetensors").exists()]


@pytest.mark.parametrize("model_id", SHIPPED)
def test_table_card_numbers_are_the_checkpoints_stored_eval_metrics(model_id):
    path = ROOT / "checkpoints" / f"{model_id}.safetensors"
    header = read_header(path)
    stored = header["metrics"]
    entry = zoo.summarise(path, header)
    model = load_checkpoint(path).model
    row = compare.table_row(entry, model, header, {"psnr_noisy_db": 10.0, "sparsity": 0.5})
    for key in ("mse_per_pixel", "psnr_db", "iw_nll", "probe_accuracy"):
        assert row[key] == stored.get(key), key
    assert row["mse_per_pixel"] is not None and row["psnr_db"] is not None and row["probe_accuracy"] is not None
    assert (row["iw_nll"] is not None) == model.is_variational
    assert row["latent_dim"] == header["config"]["latent_dim"]
    table = compare.table_markdown([row])
    assert compare.format_cell("mse_per_pixel", stored["mse_per_pixel"]) in table


def verdicts(at) -> list[str]:
    """The graded verdicts on the page (labapp.uploads.show_verdict: "**Title:** reasons"), in order."""
    return [e.value for kind in ("success", "warning", "error") for e in at.get(kind) if e.value.startswith("**")]


def test_compare_gives_every_model_the_reconstruct_pages_verdict_on_a_photograph(app):
    """A photograph on digit models: Compare showed no verdict at all where Reconstruct said "unlike"."""
    from app_fixtures import server_side
    from PIL import Image
    from skimage.data import astronaut
    from streamlit.testing.v1 import AppTest

    photo = ("astronaut.png", encode(Image.fromarray(astronaut())), "image/png")
    at = open_page(app, "compare", "digits_vae2d")
    at.file_uploader[0].set_value(photo).run()
    assert not at.exception
    shown, chosen = verdicts(at), at.multiselect[0].value
    assert len(shown) == len(chosen), shown  # one verdict under each model's rebuild of the photo
    plain_models = [m for m in chosen if m != "digits_cvae"]  # Reconstruct gives a cvae the sidebar's class
    assert len(plain_models) >= 3, chosen
    for model_id in plain_models:
        page = open_page(
            server_side(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)), "reconstruct", model_id
        )
        page.file_uploader[0].set_value(photo).run()
        (expected,) = verdicts(page)
        assert expected.startswith("**Unlike"), expected
        title = expected.partition(":**")[0] + "**"  # Compare's narrow columns: the verdict without its reasons
        assert shown[chosen.index(model_id)] == title, (model_id, shown, expected)
