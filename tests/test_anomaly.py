from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score, roc_curve

from aelib import TrainConfig, build_model, fit
from aelib.datasets import keep_classes
from aelib.io.build import build_bundle
from aelib.io.bundle import problems
from aelib.scoring.anomaly import (
    anomaly_setups,
    best_f1_threshold,
    reconstruction_errors,
    roc,
    threshold_metrics,
    threshold_presets,
)


@pytest.mark.parametrize("decimals", [None, 1])  # 1 decimal: many tied scores
def test_roc_curve_and_auc_agree_with_scikit_learn(decimals):
    rng = np.random.default_rng(0)
    scores = np.r_[rng.normal(0, 1, 200), rng.normal(1.5, 1, 50)]
    scores = scores if decimals is None else scores.round(decimals)
    truth = np.r_[np.zeros(200, bool), np.ones(50, bool)][rng.permutation(250)]
    fpr, tpr, auc = roc(scores, truth)
    sk_fpr, sk_tpr, _ = roc_curve(truth, scores, drop_intermediate=False)
    assert np.allclose(fpr, sk_fpr) and np.allclose(tpr, sk_tpr)
    assert auc == pytest.approx(roc_auc_score(truth, scores))


@pytest.mark.parametrize(
    "scores,truth",
    [([0.1, np.inf, 0.3], [0, 1, 0]), ([0.1, np.nan, 0.3], [0, 1, 0]), ([0.1, 0.2], [1, 1]), ([0.1, 0.2], [0, 0])],
)
def test_roc_refuses_non_finite_scores_and_a_single_class(scores, truth):
    with pytest.raises(ValueError):
        roc(np.array(scores), np.array(truth, bool))


def test_threshold_metrics_count_correctly():
    m = threshold_metrics(np.array([0.1, 0.2, 0.8, 0.9]), np.array([False, True, False, True]), 0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 1, 1, 1)
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and m["f1"] == 0.5
    assert best_f1_threshold(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1], bool)) == 0.2


def test_presets_come_from_training_scores():
    presets = threshold_presets(np.arange(101.0))
    assert list(presets.values()) == [95.0, 100.0]


def test_one_class_model_scores_other_classes_higher(digits):
    torch.manual_seed(0)
    zeros = keep_classes(digits, [0])
    model = build_model("ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(32,))
    fit(model, zeros, TrainConfig(epochs=40, batch_size=32, lr=3e-3))
    scores = reconstruction_errors(model, digits.x_test)
    auc = roc(scores, digits.y_test.numpy() != 0)[2]
    assert auc > 0.8
    bundle = build_bundle(model, zeros, n_samples=120, ood_data=digits, with_tsne=False)
    header = {"dataset": {"keep_classes": [0], "class_names": digits.class_names}}
    setups = anomaly_setups(bundle, header)
    assert len(setups) == 2 and next(iter(setups)).startswith("one-class")  # the model's own task first
    assert problems(bundle.arrays(), 2, complete=True) == ["missing array 'tsne'"]


def test_threshold_choices_default_to_best_f1_and_hit_their_targets():
    from aelib.scoring.anomaly import fpr_threshold, operating_point, threshold_choices

    rng = np.random.default_rng(0)
    normal, abnormal = rng.normal(0, 1, 1000), rng.normal(3, 1, 300)
    scores, truth = np.r_[normal, abnormal], np.r_[np.zeros(1000, bool), np.ones(300, bool)]
    choices = threshold_choices(scores, truth, target_fpr=0.02)
    assert next(iter(choices)).startswith("best F1")
    assert choices[next(iter(choices))] == best_f1_threshold(scores, truth)
    for name, rate in [("95th percentile of normal scores", 0.05), ("target false-positive rate", 0.02)]:
        metrics = threshold_metrics(scores, truth, choices[name])
        assert abs(operating_point(metrics)[0] - rate) <= 0.002, name
    assert (normal > fpr_threshold(normal, 0.0)).sum() == 0 and (normal > fpr_threshold(normal, 1.0)).all()


def test_a_bundle_with_training_images_maps_them_all(small_digits):
    from conftest import small_config

    from aelib.io.bundle import map_points

    torch.manual_seed(0)
    model = build_model("conv_vae", **small_config("conv_vae"))
    bundle = build_bundle(model, small_digits, n_samples=50, n_train_map=40, n_train_scores=50)
    assert problems(bundle.arrays(), 3, complete=True) == []
    points = map_points(bundle)
    assert len(points.codes) == len(points.images) == len(points.pca) == len(points.tsne) == 90
    assert points.train.sum() == 40 and not points.train[:50].any()
    assert np.allclose(points.pca[:50], bundle.pca, atol=1e-5)  # the test codes' plane, extended
    arrays = bundle.arrays()
    del arrays["train_index"]
    assert problems(arrays, 3, complete=True) == ["missing array 'train_index'"]
    arrays["train_labels"] = arrays["train_labels"][:-1]
    assert problems(arrays, 3) == ["train_labels has shape (39,), expected (40,)"]


def test_threshold_range_ignores_one_extreme_score_but_reaches_every_preset():
    from aelib.scoring.anomaly import threshold_range

    scores = np.concatenate([np.linspace(0.0, 1.0, 999), [1000.0]])
    low, high, start = threshold_range(scores, {"best F1": 0.8, "FPR 1%": 1.5}, "best F1")
    assert low == 0.0 and 1.5 <= high < 10 and start == 0.8
    assert threshold_range(scores, {"best F1": 0.8}, None)[2] == pytest.approx(np.median(scores))
    assert threshold_range(np.full(5, 2.0), {}, None)[:2] == (2.0, 2.0 + 1e-6)  # a constant score still slides
