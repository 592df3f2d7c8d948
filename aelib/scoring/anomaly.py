"""Anomaly detection by reconstruction error: the score, thresholds, confusion counts, ROC, and
scikit-learn's IsolationForest as the baseline.

Convention: higher score = more anomalous; is_anomaly is a boolean array (True = positive).
"""

from __future__ import annotations

import numpy as np
import torch

from ..io.bundle import Bundle
from .batching import batched


def squared_error(recon, x):
    """Squared reconstruction error per value, the shape of x (numpy arrays or tensors alike)."""
    return (recon - x) ** 2


@torch.no_grad()
def reconstruction_errors(model, x: torch.Tensor, y=None) -> np.ndarray:
    """The anomaly score: reconstruction MSE per item, (N, C, H, W) -> (N,) float32.
    High = poorly explained by the model = anomalous."""
    model.eval()
    y = y if model.is_conditional else None

    def per_item(xb, yb):
        return squared_error(model.reconstruct(xb, yb), xb).flatten(1).mean(1)

    return batched(per_item, x, y).numpy().astype(np.float32)


def isolation_forest_scores(x_train: np.ndarray, x_score: np.ndarray, random_state: int = 0) -> np.ndarray:
    """scikit-learn's IsolationForest fitted on x_train (N, D), scoring x_score (M, D) -> (M,),
    higher = more anomalous: the baseline an autoencoder's score is compared with."""
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=200, random_state=random_state).fit(x_train)
    return -forest.score_samples(x_score)


def threshold_metrics(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> dict:
    """Flag score > threshold; precision, recall, F1 and confusion counts."""
    flagged = np.asarray(scores) > threshold
    truth = np.asarray(is_anomaly, dtype=bool)
    tp, fp = int((flagged & truth).sum()), int((flagged & ~truth).sum())
    fn, tn = int((~flagged & truth).sum()), int((~flagged & ~truth).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def roc(scores: np.ndarray, is_anomaly: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(false positive rates, true positive rates, area under the curve), from (N,) scores.

    The curve has one vertex per distinct score, ties counted together, and the area is the
    trapezoid sum: the same numbers as scikit-learn's roc_curve and roc_auc_score (tested against
    them), written out here because importing sklearn.metrics costs the app server about 80 MiB
    (it pulls in scipy.stats) for what is a sort and two cumulative sums.
    """
    scores, truth = np.asarray(scores, np.float64), np.asarray(is_anomaly, dtype=bool)
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values")
    if truth.all() or not truth.any():
        raise ValueError("ROC needs both normal and anomalous examples")
    order = np.argsort(-scores, kind="mergesort")
    scores, truth = scores[order], truth[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tp, fp = np.cumsum(truth)[last_of_tie], np.cumsum(~truth)[last_of_tie]
    tpr, fpr = np.r_[0.0, tp / tp[-1]], np.r_[0.0, fp / fp[-1]]
    return fpr, tpr, float(np.trapezoid(tpr, fpr))


def threshold_presets(train_scores: np.ndarray, percentile: float = 95.0) -> dict[str, float]:
    """Thresholds set from scores of normal training data only (no anomaly labels needed)."""
    return {
        f"{percentile:g}th percentile of training scores": float(np.percentile(train_scores, percentile)),
        "maximum training score": float(np.max(train_scores)),
    }


def best_f1_threshold(scores: np.ndarray, is_anomaly: np.ndarray) -> float:
    """The score threshold with the highest F1 (an oracle: it looks at the labels)."""
    candidates = np.unique(np.asarray(scores))
    f1 = [threshold_metrics(scores, is_anomaly, t)["f1"] for t in candidates[:-1]]
    return float(candidates[int(np.argmax(f1))]) if f1 else float(candidates[0])


def fpr_threshold(normal_scores: np.ndarray, rate: float) -> float:
    """The lowest threshold that flags at most `rate` of these normal scores (flag: score > t)."""
    normal = np.sort(np.asarray(normal_scores, np.float64))
    if not len(normal):
        raise ValueError("a false-positive rate needs normal scores")
    allowed = int(np.floor(float(np.clip(rate, 0.0, 1.0)) * len(normal) + 1e-9))  # normals above t
    return float(normal[len(normal) - 1 - allowed]) if allowed < len(normal) else float(normal[0]) - 1e-12


def threshold_range(scores: np.ndarray, presets: dict[str, float], start: str | None = None):
    """A threshold slider's (low, high, start) for (N,) scores: from the lowest score to the 99.5th
    percentile (one extreme item must not squeeze the rest into a sliver) or the highest preset;
    `start` names the preset to start at (else the median score)."""
    low = float(scores.min())
    high = max(float(np.percentile(scores, 99.5)), *presets.values(), low + 1e-6)
    return low, high, float(np.clip(presets.get(start, np.median(scores)), low, high))


def threshold_choices(
    scores: np.ndarray, is_anomaly: np.ndarray, percentile: float = 95.0, target_fpr: float = 0.01
) -> dict[str, float]:
    """The thresholds both anomaly pages offer, by name, the default first: best F1, a percentile
    of the normal items' scores, and the threshold for a target false-positive rate on them.

    Best F1 is the default: it is the trade-off a reader can judge at a glance (ECG5000's conv1d AE:
    precision 0.962, recall 0.984). Percentiles of the bundles' training scores are not offered:
    those cover every training item, and for ECG5000 and the one-class MNIST model most of the
    abnormal ones too, so their 95th percentile sat far too high (ECG5000: recall 0.142)."""
    scores, truth = np.asarray(scores, np.float64), np.asarray(is_anomaly, dtype=bool)
    normal = scores[~truth]
    return {
        "best F1 (looks at the labels)": best_f1_threshold(scores, truth),
        f"{percentile:g}th percentile of normal scores": float(np.percentile(normal, percentile)),
        "target false-positive rate": fpr_threshold(normal, target_fpr),
    }


def operating_point(metrics: dict) -> tuple[float, float]:
    """Where a threshold sits on the ROC curve: (false-positive rate, true-positive rate)."""
    return metrics["fp"] / max(1, metrics["fp"] + metrics["tn"]), metrics["recall"]


def anomaly_setups(bundle: Bundle, header: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The normal-vs-anomaly comparisons a bundle supports: name -> (scores, is_anomaly). A
    one-class model's own task (the one its card's AUC measures) comes first."""
    setups = {}
    if bundle.ood_score is not None:
        scores = np.concatenate([bundle.score, bundle.ood_score])
        truth = np.r_[np.zeros(len(bundle.score), bool), np.ones(len(bundle.ood_score), bool)]
        setups["test set vs out-of-distribution images"] = (scores, truth)
    keep = header.get("dataset", {}).get("keep_classes")
    if keep and bundle.labels is not None:
        names = header["dataset"].get("class_names") or []
        shown = ", ".join(names[k] if k < len(names) else str(k) for k in keep)
        setups[f"one-class: normal = {shown}, anomaly = other classes"] = (
            bundle.score,
            ~np.isin(bundle.labels, keep),
        )
        setups = dict(reversed(setups.items()))  # (a dict keeps insertion order: the one-class task first)
    return setups
