"""The training loop: denoising, resume, binarisation, KL warm-up, callbacks."""

from __future__ import annotations

import pytest
import torch

from aelib import TrainConfig, TrainState, build_model, fit
from aelib.training.noise import corrupt, parse_noise
from aelib.training.train import kl_scale_at, prepare_batch


def test_resume_continues_exactly_where_a_run_stopped(small_digits):
    config = TrainConfig(epochs=4, batch_size=64, seed=3)
    torch.manual_seed(0)
    straight = build_model("ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(16,))
    resumed = build_model("ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(16,))
    resumed.load_state_dict(straight.state_dict())
    full = fit(straight, small_digits, config)
    half = fit(resumed, small_digits, TrainConfig(**{**config.__dict__, "epochs": 2}))
    state = TrainState(epoch=half.epoch, history=half.history, optimizer=half.optimizer)
    fit(resumed, small_digits, config, state=state)
    assert state.epoch == 4 and len(state.history) == 4
    assert abs(state.history[-1]["val_loss"] - full.history[-1]["val_loss"]) < 1e-3


@pytest.mark.parametrize("kind", ["gaussian", "salt_pepper", "masking"])
def test_denoising_corrupts_input_but_keeps_clean_target(kind, small_digits):
    config = TrainConfig(denoise=f"{kind}:0.3")
    x = small_digits.x_train[:16]
    model_input, target = prepare_batch(x, config, torch.Generator().manual_seed(0))
    assert torch.equal(target, x)
    assert not torch.equal(model_input, x)
    assert model_input.min() >= 0 and model_input.max() <= 1


def test_noise_levels_and_bad_specs():
    x = torch.full((1, 1, 50, 50), 0.5)
    masked = corrupt(x, "masking", 0.3, torch.Generator().manual_seed(0))
    assert abs(float((masked == 0).float().mean()) - 0.3) < 0.05
    assert parse_noise("gaussian:0.5") == ("gaussian", 0.5)
    with pytest.raises(ValueError, match="valid: gaussian"):
        parse_noise("speckle:0.1")
    with pytest.raises(ValueError, match="must be a number"):
        TrainConfig(denoise="gaussian:lots")


def test_dynamic_binarisation_gives_binary_batches(small_digits):
    model_input, target = prepare_batch(
        small_digits.x_train[:32], TrainConfig(binarize=True), torch.Generator().manual_seed(0)
    )
    assert set(target.unique().tolist()) <= {0.0, 1.0}


def test_kl_warmup_ramps_linearly():
    config = TrainConfig(kl_warmup_epochs=4)
    assert kl_scale_at(config, 0) == 0 and kl_scale_at(config, 2) == 0.5 and kl_scale_at(config, 9) == 1
    assert kl_scale_at(TrainConfig(), 0) == 1


def test_callback_gets_validation_metrics_each_epoch(small_digits):
    seen = []
    model = build_model("vae", image_shape=(1, 8, 8), latent_dim=2, hidden=(16,))
    fit(model, small_digits, TrainConfig(epochs=2, batch_size=64, augment=True), callback=seen.append)
    assert [r["epoch"] for r in seen] == [1, 2]
    assert {"train_loss", "val_loss", "val_kl", "val_elbo", "seconds"} <= set(seen[0])


def test_fit_stops_between_batches_and_keeps_the_last_finished_epoch():
    from aelib import TrainConfig, build_model, fit, load_dataset

    data = load_dataset("digits")
    model = build_model("vae", image_shape=data.image_shape, latent_dim=2, hidden=[16])
    seen = []

    def on_batch(epoch, i, n_batches):
        seen.append((epoch, i))

    state = fit(
        model, data, TrainConfig(epochs=3, batch_size=64), on_batch=on_batch, should_stop=lambda: len(seen) >= 25
    )
    n_batches = max(i for _, i in seen if _ == 0) + 1
    assert len(seen) == 25 and n_batches < 25  # stopped mid-epoch 2, right away
    assert state.epoch == 25 // n_batches and len(state.history) == state.epoch
