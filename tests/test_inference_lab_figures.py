"""Unit tests for the app's computations, without Streamlit: inference, lab and figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aelib import TrainConfig, build_model, fit, load_dataset
from aelib.explore.figures import (
    GRID_TRACE_NAME,
    class_colours,
    latent_scatter,
    loss_curves,
    map_range,
    roc_figure,
)
from aelib.explore.inference import compression_readout, decode, encode, nearest, reconstruct, sample_grid
from aelib.explore.lab import (
    comparison_table,
    denoise_comparison,
    explain_reconstruction,
    knn_distances,
    typicality,
    typicality_reference,
)
from aelib.io.build import build_bundle
from aelib.io.bundle import Bundle
from aelib.preprocess.imaging import psnr


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def trained(digits):
    torch.manual_seed(0)
    model = build_model("ae", image_shape=digits.image_shape, latent_dim=4, hidden=(64,))
    fit(model, digits, TrainConfig(epochs=15, batch_size=64))
    return model, build_bundle(model, digits, n_samples=200, with_tsne=False)


def test_encode_decode_match_the_model_and_accept_uint8(trained, digits):
    model, _ = trained
    images = digits.x_test[:5, 0].numpy()
    codes = encode(model, images)
    assert codes.shape == (5, 4)
    np.testing.assert_allclose(codes, encode(model, (images * 255).round().astype(np.uint8)), atol=0.05)
    with torch.no_grad():
        expected = model.decode(torch.from_numpy(codes))[:, 0].numpy()
    np.testing.assert_allclose(decode(model, codes), expected, atol=1e-6)
    assert decode(model, codes[0]).shape == (1, 8, 8)  # one code is a batch of one


def test_conditional_models_ask_for_labels(digits):
    model = build_model("cvae", image_shape=digits.image_shape, latent_dim=2, n_classes=10, channels=(8, 16))
    with pytest.raises(ValueError, match="give a class label"):
        decode(model, np.zeros((1, 2)))
    assert decode(model, np.zeros((3, 2)), labels=7).shape == (3, 8, 8)


def test_reconstruct_reports_the_mean_of_its_error_map(trained, digits):
    model, _ = trained
    image = digits.x_test[0, 0].numpy()
    out = reconstruct(model, image)
    assert out["error_map"].shape == image.shape
    assert out["mse"] == pytest.approx(float(((out["recon"] - image) ** 2).mean()), rel=1e-5)
    noise = np.random.default_rng(0).random(image.shape).astype(np.float32)
    assert reconstruct(model, noise)["mse"] > out["mse"]  # a trained AE explains digits, not noise


def test_nearest_and_compression_readout():
    codes = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 0.0]])
    assert nearest(codes, np.array([0.9, 0.1]), k=2).tolist() == [2, 0]
    readout = compression_readout(np.random.default_rng(0).random((28, 28)).astype(np.float32), latent_dim=8)
    assert readout["image_bytes"] == 784 and readout["code_bytes"] == 32 and readout["ratio"] == 784 / 32
    assert readout["jpeg"].shape == (28, 28) and readout["jpeg_mse"] > 0


def test_sample_grid_stacks_inputs_reconstructions_and_samples(digits):
    model = build_model("vae", image_shape=digits.image_shape, latent_dim=2, hidden=(16,))
    grid = sample_grid(model, digits.x_test, n=6)
    assert grid.shape == (4 * 9 - 1, 6 * 9 - 1)  # rows: images, reconstructions, 2 of samples; 1-px gaps


def test_explain_reconstruction_places_the_input_among_the_test_codes(trained, digits):
    model, bundle = trained
    index = int(bundle.test_index[0])
    image = digits.x_test[index, 0].numpy()
    out = explain_reconstruction(model, image, bundle, k_nearest=3)
    assert 0 in out["nearest"]  # a test image is its own nearest code
    assert out["nearest_label"] == int(digits.y_test[index])  # ... and votes for its own class among 3
    assert out["typicality"]["typical"], out["typicality"]
    blank = explain_reconstruction(model, np.zeros_like(image), bundle)["typicality"]
    assert not blank["typical"] and "almost empty" in blank["verdict"]


def test_knn_distances_and_typicality_percentiles():
    codes = np.array([[0.0], [1.0], [2.0], [10.0]])
    np.testing.assert_allclose(knn_distances(codes, k=1), [1, 1, 1, 8])
    bundle = Bundle(codes=codes, score=np.array([0.1, 0.2, 0.3, 0.4]), images=np.full((4, 1, 2, 2), 128, np.uint8))
    reference = typicality_reference(bundle, k=1)
    far = typicality(np.full((2, 2), 0.5, np.float32), {"code": np.array([100.0]), "mse": 1.0}, bundle, reference)
    assert far["error_percentile"] == 100 and far["ood_percentile"] == 100 and not far["typical"]
    inside = typicality(np.full((2, 2), 0.5, np.float32), {"code": np.array([1.2]), "mse": 0.15}, bundle, reference)
    assert inside["error_percentile"] == 25 and inside["ood_percentile"] == 0 and inside["typical"]


def test_denoise_comparison_and_its_table():
    clean = np.zeros((16, 16), np.float32)
    clean[4:12, 6:10] = 1.0
    rows = denoise_comparison(clean, "gaussian", 0.3, models={}, seed=0)
    by_name = {r["name"]: r for r in rows}
    assert list(by_name)[:2] == ["clean", "noisy input"]
    assert by_name["noisy input"]["psnr"] == pytest.approx(psnr(clean, by_name["noisy input"]["image"]))
    assert by_name["median filter 3x3"]["psnr"] > by_name["noisy input"]["psnr"]  # the baseline does denoise
    table = comparison_table(rows[1:]).splitlines()
    assert table[0] == "| image | PSNR (dB) | SSIM |" and len(table) == 2 + len(rows) - 1
    best = max(rows[1:], key=lambda r: r["psnr"])["name"]
    assert next(line for line in table if line.startswith(f"| {best} |")).count("**") >= 2


def test_latent_scatter_one_trace_per_class_and_a_click_grid_over_the_margins():
    coords = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 1.0]])
    fig = latent_scatter(coords, np.array([0, 2, 2]), ["zero", "one", "two"], click_grid=5, marker_xy=(1, 1))
    names = [trace.name for trace in fig.data]
    assert names == ["zero", "two", GRID_TRACE_NAME, "decoded spot"]
    assert list(fig.data[1].customdata) == [1, 2]
    x_range, y_range = map_range(coords)
    grid = fig.data[2]
    assert min(grid.x) == x_range[0] < 0 and max(grid.y) == y_range[1] > 2
    assert fig.data[0].marker.color != fig.data[1].marker.color


def test_class_colours_are_distinct_for_many_classes():
    assert len(set(class_colours(10))) == 10 and len(set(class_colours(40))) == 40


def test_roc_figure_marks_the_operating_point():
    fig = roc_figure(np.array([0, 0.5, 1]), np.array([0, 0.8, 1]), 0.65, point=(0.5, 0.8))
    assert fig.data[0].name == "ROC (AUC 0.650)"
    assert any(list(t.x) == [0.5] and list(t.y) == [0.8] for t in fig.data)


def test_colour_images_go_through_reconstruct_and_the_denoise_comparison():
    rng = np.random.default_rng(0)
    clean = np.zeros((16, 16, 3), np.float32)
    clean[4:12, 4:12] = (0.9, 0.2, 0.1)
    model = build_model("conv_ae", image_shape=(3, 16, 16), latent_dim=4, channels=(8,), fc_hidden=16)
    out = reconstruct(model, clean)
    assert out["recon"].shape == (16, 16, 3) and out["error_map"].shape == (16, 16)
    rows = denoise_comparison(clean, "gaussian", 0.3, models={"plain AE": model}, seed=int(rng.integers(10)))
    assert all(r["image"].shape == (16, 16, 3) for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert by_name["median filter 3x3"]["psnr"] > by_name["noisy input"]["psnr"]


def test_loss_curves_show_the_parts_of_a_vae_loss_and_only_the_loss_otherwise():
    vae = [
        {
            "epoch": e,
            "train_loss": 9.0 - e,
            "val_loss": 9.5 - e,
            "train_recon": 8.0 - e,
            "val_recon": 8.5 - e,
            "train_kl": 1.0,
            "val_kl": 1.0,
        }
        for e in (1, 2, 3)
    ]
    names = [t.name for t in loss_curves(vae).data]
    assert names == [
        "loss (training)",
        "loss (validation)",
        "recon (training)",
        "recon (validation)",
        "kl (training)",
        "kl (validation)",
    ]
    assert list(loss_curves(vae).data[0].y) == [8.0, 7.0, 6.0]
    plain = [{"epoch": 1, "train_loss": 2.0, "val_loss": 2.1, "train_recon": 2.0, "val_recon": 2.1}]
    assert [t.name for t in loss_curves(plain).data] == ["loss (training)", "loss (validation)"]


def test_card_lines_speak_of_values_for_series_and_tables():
    from dataclasses import replace

    from aelib.io.zoo import ModelEntry, metric_lines

    metrics = {"pca_probe_accuracy": 0.9, "mse_per_pixel": 0.01}
    card = ModelEntry("m", "m.safetensors", "vae", "mnist", 2, metrics=metrics)
    assert "same probe on PCA of the pixels: 90.0%" in metric_lines(card)
    assert "same probe on PCA of the values: 90.0%" in metric_lines(replace(card, kind="series"))
    assert "can exceed 1" in " ".join(metric_lines(replace(card, metrics={**metrics, "iw_nll": -812.0})))
    assert "can exceed 1" not in " ".join(metric_lines(replace(card, metrics={**metrics, "iw_nll": 85.5})))
