"""Checkpoints never execute code, and every kind of damage gives a clear error naming the file."""

from __future__ import annotations

import json
import pickle
import re

import pytest
import torch
from safetensors.torch import save_file

from aelib import TrainConfig, build_model, fit, load_bundle, load_checkpoint, read_header, save_checkpoint
from aelib.errors import CheckpointError
from aelib.io.checkpoint import read_optimizer_state, update_checkpoint


@pytest.fixture
def checkpoint_path(tmp_path):
    model = build_model("vae", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,))
    return save_checkpoint(
        tmp_path / "vae.safetensors", model, {"dataset": {"name": "digits"}, "metrics": {"elbo": -30.0}}
    )


class Payload:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_payload_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps({"model": Payload(marker)}))
    with pytest.raises(CheckpointError, match="evil.safetensors"):
        load_checkpoint(path)
    assert not marker.exists()
    # torch.save's zip-of-pickles format is refused the same way
    torch.save({"model": Payload(marker)}, path)
    with pytest.raises(CheckpointError, match="evil.safetensors"):
        load_checkpoint(path)
    assert not marker.exists()


def test_truncated_checkpoint_names_file_and_problem(checkpoint_path):
    data = checkpoint_path.read_bytes()
    checkpoint_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"vae\.safetensors.*(damaged|truncated)"):
        load_checkpoint(checkpoint_path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="nothing.safetensors: checkpoint file not found"):
        load_checkpoint(tmp_path / "nothing.safetensors")


def _rewrite_metadata(path, **changes):
    tensors = {"model/x": torch.zeros(1)}
    metadata = {
        "format": "aelib-checkpoint",
        "format_version": "1",
        "header": json.dumps(
            {"model": "vae", "dataset": {"name": "digits"}, "config": {"latent_dim": 2, "image_shape": [1, 8, 8]}}
        ),
    }
    metadata.update(changes)
    save_file(tensors, str(path), metadata=metadata)


def test_unknown_format_version(tmp_path):
    path = tmp_path / "future.safetensors"
    _rewrite_metadata(path, format_version="99")
    with pytest.raises(CheckpointError, match="format version 99 is not supported"):
        load_checkpoint(path)


def test_unknown_model_name(tmp_path):
    path = tmp_path / "alien.safetensors"
    _rewrite_metadata(
        path,
        header=json.dumps(
            {"model": "diffusion", "dataset": {"name": "digits"}, "config": {"latent_dim": 2, "image_shape": [1, 8, 8]}}
        ),
    )
    with pytest.raises(CheckpointError, match=r"alien.safetensors: unknown model 'diffusion'; valid: ae"):
        load_checkpoint(path)


GOOD = {"model": "vae", "dataset": {"name": "digits"}, "config": {"latent_dim": 2, "image_shape": [1, 8, 8]}}
LYING_HEADERS = [
    ("{}", "header has no 'model' field"),
    ("[]", "must be a JSON object, not list"),
    ('"text"', "must be a JSON object, not str"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "dataset"}), "header has no 'dataset' field"),
    (json.dumps({**GOOD, "dataset": "digits"}), "header.dataset must be dict, not str"),
    (json.dumps({**GOOD, "dataset": {}}), "dataset has no 'name' field"),
    (json.dumps({**GOOD, "metrics": [1, 2]}), "header.metrics must be dict, not list"),
    (
        json.dumps({**GOOD, "config": {"latent_dim": "2", "image_shape": [1, 8, 8]}}),
        "config.latent_dim must be an integer from 1 to 4096",
    ),
    (json.dumps({**GOOD, "config": {"latent_dim": 2, "image_shape": [1, 8]}}), "config.image_shape"),
]


@pytest.mark.parametrize("header,message", LYING_HEADERS)
def test_a_header_that_parses_but_lies_is_refused_naming_file_and_field(tmp_path, header, message):
    path = tmp_path / "liar.safetensors"
    _rewrite_metadata(path, header=header)
    with pytest.raises(CheckpointError, match="liar.safetensors: .*" + re.escape(message)):
        read_header(path)
    assert str(tmp_path) not in str(pytest.raises(CheckpointError, read_header, path).value), "no server paths"


@pytest.mark.parametrize("version", ["abc", "", "1.5", "99"])
def test_a_malformed_format_version_is_refused(tmp_path, version):
    path = tmp_path / "odd.safetensors"
    _rewrite_metadata(path, format_version=version)
    with pytest.raises(CheckpointError, match="odd.safetensors: checkpoint format version .* is not supported"):
        read_header(path)


def test_listing_skips_lying_checkpoints_and_keeps_the_good_ones(tmp_path):
    from aelib.io.zoo import list_checkpoints

    _rewrite_metadata(tmp_path / "good.safetensors")
    for i, (header, _) in enumerate(LYING_HEADERS):
        _rewrite_metadata(tmp_path / f"liar{i}.safetensors", header=header)
    entries, errors = list_checkpoints(tmp_path)
    assert [e.id for e in entries] == ["good"] and len(errors) == len(LYING_HEADERS)


def test_plain_safetensors_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="not an aelib checkpoint"):
        read_header(path)


def test_header_carries_config_and_metrics_and_bundle_round_trips(checkpoint_path):
    header = read_header(checkpoint_path)
    assert header["model"] == "vae" and header["config"]["latent_dim"] == 2
    assert header["metrics"] == {"elbo": -30.0}
    update_checkpoint(checkpoint_path, {"metrics": {"elbo": -29.0}}, arrays={"codes": torch.ones(3, 2).numpy()})
    assert read_header(checkpoint_path)["metrics"]["elbo"] == -29.0
    assert load_bundle(checkpoint_path).codes.shape == (3, 2)


def test_optimizer_state_round_trips_for_resume(tmp_path, small_digits):
    model = build_model("ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,))
    state = fit(model, small_digits, TrainConfig(epochs=1, batch_size=64))
    path = save_checkpoint(
        tmp_path / "ae.safetensors", model, {"dataset": {"name": "digits"}}, optimizer_state=state.optimizer
    )
    restored = read_optimizer_state(path)
    optimizer = torch.optim.Adam(model.parameters())
    optimizer.load_state_dict(restored)
    original = state.optimizer["state"][0]["exp_avg"]
    assert torch.equal(optimizer.state_dict()["state"][0]["exp_avg"], original)


def test_bundle_images_are_stored_as_lossless_png(tmp_path):
    import numpy as np

    model = build_model("vae", image_shape=(1, 28, 28), latent_dim=2, hidden=(8,))
    checkpoint_path = save_checkpoint(tmp_path / "vae.safetensors", model, {"dataset": {"name": "mnist"}})
    rng = np.random.default_rng(0)
    images = (rng.random((50, 1, 28, 28)) > 0.8).astype(np.uint8) * 255
    before = checkpoint_path.stat().st_size
    update_checkpoint(checkpoint_path, arrays={"images": images, "ood_images": np.zeros((3, 1, 2, 2), np.uint8)})
    bundle = load_bundle(checkpoint_path)
    assert np.array_equal(bundle.images, images) and bundle.images.dtype == np.uint8
    assert bundle.ood_images.shape == (3, 1, 2, 2)
    assert checkpoint_path.stat().st_size - before < images.nbytes
