"""The bundle's label head (aelib.scoring.label_head, issue #22): it reads labels better than the
5-NN vote where the vote's few test codes mislead, explain_reconstruction uses it when a bundle has
it and falls back to the vote when not, build_bundle trains it, the verdict adds its doubt, and a
checkpoint whose head is malformed is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aelib import build_model, load_bundle, save_checkpoint
from aelib.errors import CheckpointError
from aelib.explore.lab import explain_reconstruction
from aelib.explore.verdict import combined, verdict_reference
from aelib.io.build import build_bundle
from aelib.io.bundle import Bundle, problems
from aelib.scoring.label_head import KEYS, LabelHead, train_label_head

HEADER = {"dataset": {"name": "digits", "class_names": [str(i) for i in range(10)]}, "metrics": {}}


def as_head(arrays: dict) -> LabelHead:
    return LabelHead(arrays[KEYS[0]], arrays[KEYS[1]])


def vote(codes, labels, queries, k=5):
    distances = np.linalg.norm(queries[:, None] - codes[None], axis=2)
    return np.array([np.bincount(labels[row]).argmax() for row in np.argsort(distances, 1)[:, :k]])


def test_the_head_beats_the_vote_where_few_test_codes_mislead():
    """Class 1 is x > 0. The bundle's 20 test codes sit at x = -0.1 (class 0) and x = 0.9 (class 1),
    so a point at x = 0.3 is nearer the class-0 codes: the vote says 0; the head, trained on 2,000
    training codes spread over the plane, says 1."""
    rng = np.random.default_rng(0)
    train = rng.uniform(-1, 1, (2000, 2))
    head = as_head(train_label_head(train, (train[:, 0] > 0).astype(int), 2, hidden=16))
    y = rng.uniform(-1, 1, 10)
    test_codes = np.r_[np.c_[np.full(10, -0.1), y], np.c_[np.full(10, 0.9), y]]
    test_labels = np.r_[np.zeros(10, int), np.ones(10, int)]
    queries = np.c_[rng.uniform(0.15, 0.35, 200), rng.uniform(-1, 1, 200)]
    truth = np.ones(200, int)
    vote_accuracy = (vote(test_codes, test_labels, queries) == truth).mean()
    head_accuracy = (head.logits(queries).argmax(1) == truth).mean()
    assert vote_accuracy < 0.3 and head_accuracy > 0.95, (vote_accuracy, head_accuracy)
    # sure far from the boundary, unsure on it
    assert head.doubt(np.array([0.9, 0.0])) < 0.05 < 0.3 < head.doubt(np.array([0.0, 0.0]))


def tiny(n=20):
    torch.manual_seed(0)
    model = build_model("ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,))
    rng = np.random.default_rng(0)
    bundle = {
        "images": rng.integers(0, 256, (n, 1, 8, 8), dtype=np.uint8),
        "labels": np.zeros(n, np.int64),  # every test code votes 0
        "codes": rng.normal(size=(n, 2)).astype(np.float32),
        "pca_mean": np.zeros(2, np.float32),
        "pca_components": np.eye(2, dtype=np.float32),
        "score": rng.random(n).astype(np.float32),
    }
    return model, bundle


def always(label: int, latent_dim: int = 2, n_classes: int = 10, hidden: int = 3) -> dict:
    """A head that reads every code as `label`."""
    out = np.zeros((hidden + 1, n_classes), np.float32)
    out[-1, label] = 10.0
    return {KEYS[0]: np.ones((latent_dim + 1, hidden), np.float32), KEYS[1]: out}


def test_explain_reconstruction_uses_the_head_when_present_and_the_vote_when_absent():
    model, bundle = tiny()
    image = np.random.default_rng(1).random((8, 8)).astype(np.float32)
    without = explain_reconstruction(model, image, Bundle(**bundle))
    assert without["nearest_label"] == without["nearest_vote"] == 0 and without["label_from"] == "vote"
    with_head = explain_reconstruction(model, image, Bundle(**bundle, **always(7)))
    assert with_head["nearest_label"] == 7 and with_head["nearest_vote"] == 0
    assert with_head["label_from"] == "classifier"
    assert Bundle(**bundle).label_head is None and Bundle(**bundle, **always(3)).label_head.read(np.zeros(2)) == 3


def test_build_bundle_trains_a_head_that_reads_the_test_labels(digits):
    torch.manual_seed(0)
    model = build_model("ae", image_shape=digits.image_shape, latent_dim=8, hidden=(32,))
    bundle = build_bundle(model, digits, n_samples=100, with_tsne=False, n_train_scores=50)
    assert bundle.label_head_hidden.shape == (9, 128) and bundle.label_head_out.shape == (129, 10)
    assert problems(bundle.arrays(), 8, (1, 8, 8), 10) == []
    # an untrained encoder's codes still separate sklearn's digits: the head reads most test images
    assert (bundle.label_head.logits(bundle.codes).argmax(1) == bundle.labels).mean() > 0.6
    unlabelled = type(digits)(digits.name, digits.x_train, digits.x_test)
    assert build_bundle(model, unlabelled, n_samples=50, with_tsne=False, n_train_scores=20).label_head is None


def test_the_verdict_adds_the_heads_doubt():
    _, bundle = tiny()
    bundle["labels"] = np.arange(20) % 2
    arrays = train_label_head(bundle["codes"], (bundle["codes"][:, 0] > 0).astype(int), 2, hidden=16)
    plain, with_head = verdict_reference(Bundle(**bundle)), verdict_reference(Bundle(**bundle, **arrays))
    head = as_head(arrays)
    assert "doubt" not in plain and "doubt" in with_head
    values = {"error": float(np.median(bundle["score"])), "code": 1e-3}
    sure = {**values, "doubt": float(head.doubt(np.array([3.0, 0.0]))) + 1e-4}
    unsure = {**values, "doubt": float(head.doubt(np.array([0.0, 0.0]))) + 1e-4}
    assert combined(unsure, with_head)[0] > combined(sure, with_head)[0]
    assert combined(unsure, with_head)[1] == "doubt"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda h: {KEYS[0]: h[KEYS[0]]}, "without"),
        (lambda h: {**h, KEYS[0]: np.ones((5, 3), np.float32)}, "label_head_hidden has shape"),
        (lambda h: {**h, KEYS[1]: np.ones((4, 11), np.float32)}, "label_head_out has shape"),
        (lambda h: {**h, KEYS[1]: np.ones((9, 10), np.float32)}, "label_head_out has shape"),
        (lambda h: {**h, KEYS[0]: np.full((3, 3), np.nan, np.float32)}, "must be finite"),
        (lambda h: {**h, KEYS[1]: np.ones((4, 10), np.int64)}, "must be finite"),
    ],
)
def test_a_malformed_head_is_refused(tmp_path, change, message):
    model, bundle = tiny()
    bundle |= {"test_index": np.arange(20), "dim_score": np.ones(2, np.float32)}
    head = change(always(1))
    found = problems({**bundle, **head}, 2, (1, 8, 8), 10)
    assert any(message in p for p in found), found
    path = save_checkpoint(
        tmp_path / "m.safetensors", model, {**HEADER, "model": "ae"}, bundle=Bundle(**bundle, **head)
    )
    with pytest.raises(CheckpointError, match="label_head"):
        load_bundle(path)
    good = save_checkpoint(
        tmp_path / "g.safetensors", model, {**HEADER, "model": "ae"}, bundle=Bundle(**bundle, **always(1))
    )
    assert load_bundle(good).label_head is not None
