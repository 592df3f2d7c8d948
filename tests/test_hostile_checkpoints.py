"""Crafted checkpoints (#29): every file gets one clear message or is accepted safely, without
building what its header asks for, and one bad file in the folder costs only its own line."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch
from app_fixtures import PAGE_FILES, ROOT, open_page
from safetensors.torch import save_file

from aelib import build_model, load_checkpoint, open_checkpoint, save_checkpoint
from aelib.errors import CheckpointError
from aelib.io.bundle import Bundle
from aelib.io.checkpoint import FORMAT, FORMAT_VERSION, read_header
from aelib.io.zoo import list_checkpoints

HEADER = {"dataset": {"name": "digits", "class_names": [str(i) for i in range(10)]}, "metrics": {"elbo": -30.0}}


def good_model():
    torch.manual_seed(0)
    return build_model("vae", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,))


def good_bundle(n: int = 20) -> dict:
    rng = np.random.default_rng(0)
    return {
        "images": rng.integers(0, 256, (n, 1, 8, 8), dtype=np.uint8),
        "labels": np.arange(n) % 10,
        "codes": rng.normal(size=(n, 2)).astype(np.float32),
        "pca": rng.normal(size=(n, 2)).astype(np.float32),
        "score": rng.random(n).astype(np.float32),
    }


def write_raw(path, header: dict | str, tensors: dict | None = None):
    """A safetensors file with any header text: what an attacker writes, not what aelib writes."""
    text = header if isinstance(header, str) else json.dumps(header)
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "header": text}
    save_file(tensors or {"empty": torch.zeros(1)}, str(path), metadata=metadata)
    return path


def with_config(path, **changes):
    """The good model's tensors under a header whose config is changed."""
    model = good_model()
    config = {"image_shape": [1, 8, 8], "latent_dim": 2, "hidden": [8], **changes}
    tensors = {f"model/{k}": v.contiguous() for k, v in model.state_dict().items()}
    return write_raw(path, {**HEADER, "model": "vae", "config": config}, tensors)


def png_header_only(width: int, height: int) -> np.ndarray:
    """A PNG whose header claims width x height (a decompression bomb, cut short after the header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
    return np.frombuffer(data, np.uint8).copy()


def crafted(folder) -> dict:
    """name -> path of every crafted case; each must be refused with a message naming the problem."""
    cases = {}

    def add(name, path):
        cases[name] = path

    add("wide_hidden", with_config(folder / "wide_hidden.safetensors", hidden=[20000, 20000]))
    add("too_many_values", with_config(folder / "too_many_values.safetensors", hidden=[16000, 16000]))
    add("mismatched_width", with_config(folder / "mismatched_width.safetensors", hidden=[4000]))
    model_only = {**HEADER, "model": "vae", "config": {"image_shape": [1, 8, 8], "latent_dim": 2, "hidden": [2000]}}
    add("wide_no_tensors", write_raw(folder / "wide_no_tensors.safetensors", model_only))
    add("huge_latent", with_config(folder / "huge_latent.safetensors", latent_dim=10**9))
    add("huge_image", with_config(folder / "huge_image.safetensors", image_shape=[1, 20000, 20000]))
    add("negative_width", with_config(folder / "negative_width.safetensors", hidden=[-5]))
    add("nested_json", write_raw(folder / "nested_json.safetensors", "[" * 200_000 + "]" * 200_000))
    model = good_model()
    bad_bundles = {
        "nan_codes": {**good_bundle(), "codes": np.full((20, 2), np.nan, np.float32)},
        "wrong_width_codes": {**good_bundle(), "codes": np.zeros((20, 5), np.float32)},
        "no_items": {k: v[:0] for k, v in good_bundle().items()},
        "huge_labels": {**good_bundle(), "labels": np.full(20, 10**9)},
        "png_bomb": {**good_bundle(), "images.png": png_header_only(20000, 20000)},
    }
    for name, bundle in bad_bundles.items():
        path = save_checkpoint(folder / f"{name}.safetensors", model, HEADER)
        tensors = {f"model/{k}": v.contiguous() for k, v in model.state_dict().items()}
        tensors.update({f"bundle/{k}": torch.from_numpy(np.ascontiguousarray(v)) for k, v in bundle.items()})
        write_raw(path, read_header(path), tensors)
        add(name, path)
    for name, field in (("dict_class_names", [{"a": 1}]), ("null_class_name", [None, "x"])):
        header = {**HEADER, "model": "vae", "config": {"image_shape": [1, 8, 8], "latent_dim": 2, "hidden": [8]}}
        header["dataset"] = {"name": "digits", "class_names": field}
        add(name, write_raw(folder / f"{name}.safetensors", header))
    config = {"image_shape": [1, 8, 8], "latent_dim": 2, "hidden": [8]}
    header = {**HEADER, "metrics": {"mse_per_pixel": "very low"}, "model": "vae", "config": config}
    add("string_metric", write_raw(folder / "string_metric.safetensors", header))
    nan_model = good_model()
    with torch.no_grad():
        for parameter in nan_model.parameters():
            parameter.fill_(float("nan"))
    add("nan_weights", save_checkpoint(folder / "nan_weights.safetensors", nan_model, HEADER))
    return cases


EXPECTED = {
    "wide_hidden": "config.hidden must be at most 16 integers from 1 to 16384",
    "too_many_values": "the model would have .* values; at most",
    "mismatched_width": "weights do not match the model config .*the config needs",
    "wide_no_tensors": "weights do not match the model config \\(missing",
    "huge_latent": "latent_dim must be an integer from 1 to 4096",
    "huge_image": "image_shape .* too large",
    "negative_width": "config.hidden must be",
    "nested_json": "header is damaged",
    "nan_codes": "codes must be finite",
    "wrong_width_codes": "codes has shape",
    "no_items": "no images",
    "huge_labels": "labels must be integers from 0 to 9",
    "png_bomb": "bundle images are damaged .*pixels",
    "dict_class_names": "class_names must be",
    "null_class_name": "class_names must be",
    "string_metric": "metrics.mse_per_pixel must be a number",
    "nan_weights": "NaN or infinite",
}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return crafted(tmp_path_factory.mktemp("crafted"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_crafted_checkpoint_gets_one_clear_line(cases, name):
    with pytest.raises(CheckpointError) as caught:
        open_checkpoint(cases[name])
    message = str(caught.value)
    assert message.startswith(f"{name}.safetensors: ") and "\n" not in message, message
    assert __import__("re").search(EXPECTED[name], message), message


def test_a_sound_checkpoint_still_opens_with_its_bundle(tmp_path):
    path = save_checkpoint(tmp_path / "good.safetensors", good_model(), HEADER, bundle=Bundle(**good_bundle()))
    checkpoint = open_checkpoint(path)
    assert checkpoint.bundle.codes.shape == (20, 2) and checkpoint.model.config.latent_dim == 2


def test_every_crafted_file_is_refused_within_the_memory_budget(cases):
    """All cases in one fresh interpreter: its peak resident memory (torch included) stays < 1.2 GB."""
    # VmHWM: this interpreter's own peak (ru_maxrss would keep pytest's, inherited through fork and exec)
    script = (
        "import json, sys\n"
        "from aelib import open_checkpoint\nfrom aelib.errors import AelibError\n"
        "out = {}\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n        open_checkpoint(path); out[path] = 'opened'\n"
        "    except AelibError as exc:\n        out[path] = str(exc)\n"
        "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(json.dumps({'results': out, 'peak_mb': peak / 1024}))\n"
    )
    paths = [str(p) for p in cases.values()]
    run = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert all(text != "opened" for text in report["results"].values()), report
    assert report["peak_mb"] < 1200, report["peak_mb"]


def test_a_bad_file_in_the_folder_costs_only_its_own_line(cases, tmp_path):
    shutil.copy(cases["nested_json"], tmp_path)
    save_checkpoint(tmp_path / "good.safetensors", good_model(), HEADER)
    entries, errors = list_checkpoints(tmp_path)
    assert [e.id for e in entries] == ["good"]
    assert len(errors) == 1 and errors[0].startswith("nested_json.safetensors:")


def test_cli_lists_and_evaluates_crafted_files_without_a_traceback(cases, tmp_path):
    shutil.copy(cases["nested_json"], tmp_path)
    listing = subprocess.run(
        [sys.executable, "-m", "aelib", "checkpoints", "--dir", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert listing.returncode == 0 and "unreadable: nested_json.safetensors" in listing.stdout
    for name in ("nested_json", "wide_hidden", "huge_image"):
        run = subprocess.run(
            [sys.executable, "-m", "aelib", "export-onnx", str(cases[name]), "--out", str(tmp_path / "x.onnx")],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert run.stderr.startswith(f"error: {name}.safetensors: ")


def test_the_shipped_checkpoints_all_pass_the_checks():
    entries, errors = list_checkpoints()
    assert errors == [] and len(entries) >= 19
    for entry in entries:
        assert open_checkpoint(entry.path).bundle.codes is not None, entry.id


@pytest.fixture
def folder_with_bad_files(tiny_dir, cases, tmp_path, monkeypatch):
    for path in tiny_dir.glob("*.safetensors"):
        shutil.copy(path, tmp_path)
    for name in ("nested_json", "nan_codes", "png_bomb", "string_metric"):
        shutil.copy(cases[name], tmp_path)
    monkeypatch.setenv("AELIB_CHECKPOINTS", str(tmp_path))
    monkeypatch.chdir(ROOT)
    return tmp_path


@pytest.mark.parametrize("page", sorted(PAGE_FILES))
def test_every_page_works_beside_bad_files(folder_with_bad_files, page):
    from streamlit.testing.v1 import AppTest

    at = open_page(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), page)
    assert not at.exception, at.exception
    if page not in ("home", "tabular", "train"):  # the pages with the model picker name the skipped file
        assert any("json.safetensors: checkpoint header is damaged" in e.value for e in at.error), at.error


def test_weights_that_are_not_finite_are_refused_before_use(cases):
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(cases["nan_weights"])
