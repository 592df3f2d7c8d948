"""`python -m aelib` as users and scripts call it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "aelib", *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


def test_train_then_eval_round_trip_on_digits(tmp_path):
    out = tmp_path / "cvae.safetensors"
    trained = run(
        "train",
        "--model",
        "conv_vae",
        "--dataset",
        "digits",
        "--latent-dim",
        "4",
        "--epochs",
        "2",
        "--out",
        str(out),
        "--no-progress",
        "--set",
        "fc_hidden=32",
    )
    assert trained.returncode == 0, trained.stderr
    assert "epoch   2" in trained.stdout and out.exists()
    evaluated = run("eval", str(out), "--iw-samples", "20", "--json", "--save")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout.strip().splitlines()[-1])
    # two epochs already put the classes apart: a linear probe on 4-D codes beats chance (10%) by far
    assert metrics["iw_nll"] > 0 and metrics["elbo"] < 0 and metrics["probe_accuracy"] > 0.3
    assert "pca_probe_accuracy" in metrics and metrics["n_test"] == 297
    listed = run("checkpoints", "--dir", str(tmp_path), "--json")
    entries = json.loads(listed.stdout.strip().splitlines()[-1])
    assert entries[0]["model"] == "conv_vae" and entries[0]["iw_nll"] == pytest.approx(metrics["iw_nll"])


def test_resume_flag_extends_a_finished_run(tmp_path):
    out = tmp_path / "ae.safetensors"
    common = ["train", "--model", "ae", "--dataset", "digits", "--out", str(out), "--no-progress"]
    assert run(*common, "--epochs", "1").returncode == 0
    again = run(*common, "--epochs", "2", "--resume", "--lr", "0.0003")
    assert again.returncode == 0 and "epochs 2..2" in again.stdout
    from aelib import read_header
    from aelib.io.zoo import model_card

    header = read_header(out)
    assert [seg["lr"] for seg in header["train_segments"]] == [0.001, 0.0003]
    assert "to epoch 1 at lr 0.001, then to epoch 2 at lr 0.0003" in model_card(header)
    unchanged = run(*common, "--epochs", "2", "--resume")
    assert unchanged.returncode == 0 and "nothing to do" in unchanged.stdout
    assert read_header(out) == header


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "--model", "nope", "--dataset", "digits", "--out", "x"], "unknown model 'nope'; valid:"),
        (["train", "--model", "ae", "--dataset", "nope", "--out", "x"], "unknown dataset 'nope'; valid:"),
        (["train", "--model", "ae", "--dataset", "digits", "--out", "x", "--denoise", "fog:1"], "unknown noise"),
        (["train", "--model", "ae", "--dataset", "digits", "--out", "x", "--beta", "2"], "unknown config key"),
        (["eval", "missing.safetensors"], "checkpoint file not found"),
    ],
)
def test_user_errors_exit_nonzero_with_one_line(tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_listing_models_and_datasets():
    models = run("models").stdout
    assert all(name in models for name in ("ae", "sparse_ae", "conv_ae", "vae", "conv_vae", "cvae"))
    datasets = run("datasets").stdout
    assert all(name in datasets for name in ("mnist", "fashion_mnist", "frey", "olivetti", "digits"))
