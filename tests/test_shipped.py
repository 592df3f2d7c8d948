"""The shipped checkpoints: each loads without executing code, matches its card, and carries a
consistent explorer bundle; together they stay small enough to clone and to host."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from aelib import load_bundle, load_checkpoint, read_header
from aelib.io.bundle import problems
from aelib.io.zoo import DEFAULT_DIR, list_checkpoints, model_card

SHIPPED = sorted(DEFAULT_DIR.glob("*.safetensors"))
EXPECTED = {
    "mnist_conv_vae",
    "mnist_vae2d",
    "mnist_conv_ae",
    "mnist_denoising_conv_ae",
    "mnist_sparse_ae",
    "mnist_ae",
    "mnist_cvae",
    "mnist_oneclass_ae",
    "fashion_conv_vae",
    "fashion_denoising_conv_ae",
    "frey_vae2d",
    "frey_vae",
    "olivetti_conv_vae",
    "ecg5000_conv1d_ae",
    "ecg5000_lstm_ae",
    "odds_cardio_ae",
    "odds_satellite_ae",
    "odds_shuttle_ae",
    "odds_arrhythmia_ae",
}


def test_every_documented_checkpoint_is_shipped_and_small():
    assert {p.stem for p in SHIPPED} >= EXPECTED
    total = sum(p.stat().st_size for p in DEFAULT_DIR.iterdir() if p.is_file())
    assert total < 60 * 2**20, f"checkpoints/ holds {total / 2**20:.1f} MiB"
    assert all(p.stat().st_size < 10 * 2**20 for p in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_checkpoint_matches_its_card_and_bundle(path: Path):
    header = read_header(path)
    checkpoint = load_checkpoint(path)
    assert header["complete"] and "optimizer" not in header
    assert checkpoint.model.name == header["model"]
    loaded = dataclasses.asdict(checkpoint.model.config)
    for key, value in header["config"].items():
        assert loaded[key] == (tuple(value) if isinstance(value, list) else value), key
    assert header["epoch"] == header["train_config"]["epochs"] == len(header["history"])
    assert header["metrics"]["n_test"] > 0, "no evaluation in the card"
    assert "**" in model_card(header)
    bundle = load_bundle(path)
    assert problems(bundle.arrays(), header["config"]["latent_dim"], complete=True) == []
    items = bundle.items
    with torch.no_grad():
        codes = checkpoint.model.encode(
            torch.as_tensor(items[:4])
            .float()
            .div(255 if bundle.images is not None else 1)
            .reshape(4, *header["config"]["image_shape"]),
            torch.as_tensor(bundle.labels[:4]) if checkpoint.model.is_conditional else None,
        )
    assert torch.allclose(codes, torch.as_tensor(bundle.codes[:4]), atol=1e-4), "bundle codes are stale"
    if header["dataset"].get("kind", "image") == "image":
        assert path.with_suffix(".png").exists(), "no sample grid PNG next to the checkpoint"


def test_the_zoo_lists_them_all_with_no_configuration():
    entries, errors = list_checkpoints()
    assert errors == [] and len(entries) == len(SHIPPED)
