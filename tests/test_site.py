"""The explorer as a static site (issue #24), without a browser: `python -m aelib export-site` writes
a self-contained folder whose files are the component's own modules and the Generate and Latent map
pages' arrays; every path is relative and every module the page imports is in the folder."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aelib import AelibError, open_checkpoint
from aelib.explore.latent import PrincipalAxes, informative_dims
from aelib.io.bundle import map_points
from aelib.io.site import FRONTEND, export_site, export_site_zip, open_models, site_files
from aelib.io.zoo import checkpoint_dir

MODELS = ("mnist_conv_vae", "olivetti_conv_vae", "mnist_cvae")


def shipped(*names: str) -> list[Path]:
    return [checkpoint_dir() / f"{name}.safetensors" for name in names]


def export_models(out: Path, names=MODELS, lab_url: str | None = None) -> dict:
    return export_site(open_models(shipped(*names)), out, lab_url)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "course" / "demo"
    export_models(out, lab_url="https://lab.example.org/")
    return out


def test_the_folder_holds_the_shared_modules_the_runtime_and_each_models_files(site):
    assert (site / "index.html").read_text() == (FRONTEND / "site.html").read_text()
    for module in ("site.js", "core.js", "maths.js", "decoder.js", "generate.js", "map.js", "interpolate.js"):
        assert (site / module).read_bytes() == (FRONTEND / module).read_bytes(), "copied, never rewritten"
    assert not (site / "main.js").exists(), "the Streamlit shell stays behind"
    assert (site / "vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm").stat().st_size > 1e6
    catalogue = json.loads((site / "site.json").read_text())
    assert [m["id"] for m in catalogue["models"]] == list(MODELS)
    assert catalogue["lab_url"] == "https://lab.example.org"
    for entry in catalogue["models"]:
        names = {p.name for p in (site / entry["folder"]).iterdir()}
        assert names == {"decoder.onnx", "model.json", "map.json", "sprite.png"}


def test_generate_gets_the_arrays_the_generate_page_computes(site):
    checkpoint = open_checkpoint(shipped("mnist_conv_vae")[0])
    bundle = checkpoint.bundle
    info = json.loads((site / "models/mnist_conv_vae/model.json").read_text())
    axes = PrincipalAxes.fit(bundle.codes)
    assert [d["index"] for d in info["dims"]] == informative_dims(bundle.dim_score, 10).tolist()
    assert info["bounds"]["low"] == [-3.5] * 16 and info["bounds"]["high"] == [3.5] * 16  # a VAE's
    np.testing.assert_allclose(info["pcs"]["directions"], axes.directions[:6], atol=1e-6)
    np.testing.assert_allclose(info["pcs"]["std"], axes.std[:6], atol=1e-6)
    np.testing.assert_allclose(info["start"]["code"], bundle.codes[0], atol=1e-6)
    assert info["start"]["label"] is None and info["conditional"] is False and info["smooth"] is False
    assert info["shape"] == [1, 28, 28] and info["latent_dim"] == 16
    assert any("negative log-likelihood" in line for line in info["card"]), info["card"]
    cvae = json.loads((site / "models/mnist_cvae/model.json").read_text())
    assert cvae["conditional"] and cvae["class_names"][:2] == ["0", "1"]
    assert cvae["start"]["label"] == int(open_checkpoint(shipped("mnist_cvae")[0]).bundle.labels[0])


def test_the_map_holds_test_and_training_points_and_the_sprite_their_images(site):
    bundle = open_checkpoint(shipped("olivetti_conv_vae")[0]).bundle
    points = map_points(bundle)
    data = json.loads((site / "models/olivetti_conv_vae/map.json").read_text())
    info = json.loads((site / "models/olivetti_conv_vae/model.json").read_text())
    assert data["n_test"] == 40 and len(data["codes"]) == 400 and sum(data["train"]) == 360
    np.testing.assert_allclose(data["codes"], points.codes, atol=1e-6)
    np.testing.assert_allclose(data["pca"], points.pca, atol=1e-5)
    np.testing.assert_allclose(data["tsne"], points.tsne, atol=1e-5)
    assert len(data["colours"]) == 40 and data["names"][0] == "person 0" and info["smooth"] is True
    sprite = np.asarray(Image.open(site / "models/olivetti_conv_vae/sprite.png"))
    columns = info["sprite"]["columns"]
    for index in (0, 39, 40, 399):  # test images first, then training images
        row, column = divmod(index, columns)
        cell = sprite[row * 64 : row * 64 + 64, column * 64 : column * 64 + 64]
        np.testing.assert_array_equal(cell, points.images[index, 0])


def relative_references(text: str) -> list[str]:
    """Paths named by src/href attributes, CSS url() and JS module specifiers."""
    found = re.findall(r'(?:src|href)="([^"]+)"', text)
    found += re.findall(r'(?:from|import\()\s*"([^"]+)"', text)
    found += re.findall(r'new URL\("([^"]+)"', text)
    return found


def test_every_path_is_relative_and_every_module_the_page_loads_is_in_the_folder(site):
    ours = [site / "index.html", *[p for p in site.glob("*.js")], *site.glob("*.css")]
    for path in ours:
        for reference in relative_references(path.read_text()):
            if reference.startswith("data:"):
                continue
            assert not re.match(r"^(/|[a-z]+:)", reference), f"{path.name}: {reference} is not relative"
            assert (path.parent / reference).resolve().is_file(), f"{path.name}: {reference} is missing"
    for path in ours:  # nothing fetched from outside the folder (the lab's link is only a link)
        assert not re.search(r"https?://", path.read_text().replace("http://localhost:8000/", "")), path.name


def test_the_zip_holds_the_same_files_under_one_folder(tmp_path):
    models = open_models(shipped("mnist_conv_vae"))
    archive = zipfile.ZipFile(io.BytesIO(export_site_zip(models)))
    names = set(archive.namelist())
    assert names == {f"demo/{p}" for p in site_files(models)}
    assert "demo/index.html" in names and "demo/models/mnist_conv_vae/decoder.onnx" in names
    site = json.loads(archive.read("demo/site.json"))
    assert site["lab_url"] is None and [m["id"] for m in site["models"]] == ["mnist_conv_vae"]


def test_a_session_model_goes_with_its_own_bundle_and_id(tmp_path):
    from aelib import load_checkpoint

    checkpoint = load_checkpoint(shipped("mnist_conv_vae")[0])  # as the app holds it: no bundle inside
    bundle = open_checkpoint(shipped("mnist_conv_vae")[0]).bundle
    with pytest.raises(AelibError, match="no explorer bundle"):
        site_files([("yours_digits", checkpoint)])
    files = site_files([("yours digits/2", checkpoint, bundle)])
    entry = json.loads(files["site.json"])["models"][0]
    assert entry["id"] == "yours digits/2" and entry["folder"] == "models/yours_digits_2/"


def test_sizes_and_an_earlier_export_is_replaced_but_nothing_else_overwritten(tmp_path):
    out = tmp_path / "demo"
    written = export_models(out, ("olivetti_conv_vae", "mnist_conv_vae"))
    on_disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert written["total"] == on_disk and set(written["models"]) == {"olivetti_conv_vae", "mnist_conv_vae"}
    assert written["shared"] > 14e6 and 1e6 < written["models"]["mnist_conv_vae"] < 8e6
    export_models(out, ("mnist_conv_vae",))
    assert not (out / "models/olivetti_conv_vae").exists(), "the earlier export's models go"
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(AelibError, match="not empty"):
        export_models(other, ("mnist_conv_vae",))
    assert (other / "mine.txt").read_text() == "keep me"


def test_what_the_site_cannot_show_is_refused_by_name(tmp_path):
    with pytest.raises(AelibError, match="not an image model"):
        site_files(open_models(shipped("ecg5000_conv1d_ae")))
    with pytest.raises(AelibError, match="--lab-url"):
        site_files(open_models(shipped("mnist_conv_vae")), lab_url="javascript:alert(1)")
    with pytest.raises(AelibError, match="once"):
        site_files(open_models(shipped("mnist_conv_vae", "mnist_conv_vae")))


def test_the_command_writes_the_folder_and_names_its_sizes(tmp_path, capsys):
    from aelib.cli import main

    out = tmp_path / "web"
    assert main(["export-site", str(shipped("mnist_conv_vae")[0]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "mnist_conv_vae:" in printed and "http.server" in printed and (out / "index.html").is_file()
    assert main(["export-site", str(tmp_path / "missing.safetensors"), "--out", str(tmp_path / "x")]) == 2
    assert "not found" in capsys.readouterr().err
