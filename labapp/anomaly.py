"""The threshold panel shared by the Anomalies and Time series pages: presets (aelib.scoring.anomaly's
threshold_choices), a slider, the metrics, the score histograms and the ROC curve with the
threshold marked on it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aelib.explore.figures import roc_figure, score_histograms
from aelib.scoring.anomaly import operating_point, roc, threshold_choices, threshold_metrics, threshold_range

CUSTOM = "custom"


def threshold_panel(
    scores: np.ndarray,
    is_anomaly: np.ndarray,
    key: str,
    unit: str = "MSE per pixel",
    names: tuple[str, str] = ("normal", "anomaly"),
) -> float:
    """Draw the panel for one set of labelled scores; returns the threshold in use (flag: score > it)."""
    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    left, right = st.columns([3, 1])
    rate = (
        right.number_input(
            "Target false-positive rate (%)", 0.1, 50.0, 1.0, 0.5, key=f"{key}_fpr", help="of the normal items"
        )
        / 100
    )
    presets = threshold_choices(scores, is_anomaly, target_fpr=rate)
    choice = left.radio("Threshold preset", [*presets, CUSTOM], horizontal=True, key=f"{key}_preset")
    low, high, start = threshold_range(scores, presets, choice)
    threshold = st.slider(
        f"Threshold (reconstruction error, {unit})",
        low,
        high,
        start,
        (high - low) / 500,
        format="%.4f",
        disabled=choice != CUSTOM,
        # a preset's own key (with its value): choosing it moves the slider there; custom keeps its place
        key=f"{key}_threshold" + ("" if choice == CUSTOM else f"_{choice}_{start:.6g}"),
    )
    metrics = threshold_metrics(scores, is_anomaly, threshold)
    fpr, tpr, auc = roc(scores, is_anomaly)
    point = operating_point(metrics)
    cols = st.columns(7)
    shown = [("AUC", auc), ("precision", metrics["precision"]), ("recall", metrics["recall"]), ("F1", metrics["f1"])]
    shown.append(("false-positive rate", point[0]))
    for col, (name, value) in zip(cols, shown, strict=False):
        col.metric(name, f"{value:.3f}")
    cols[5].metric("flagged", metrics["tp"] + metrics["fp"])
    cols[6].metric("missed", metrics["fn"], help=f"{names[1]} items at or under the threshold, not flagged")
    st.caption(
        f"Confusion counts: {metrics['tp']} true positives, {metrics['fp']} false positives, "
        f"{metrics['fn']} false negatives, {metrics['tn']} true negatives."
    )
    left, right = st.columns(2)
    groups = {names[0]: scores[~is_anomaly], names[1]: scores[is_anomaly]}
    left.plotly_chart(score_histograms(groups, threshold, unit=unit), key=f"{key}_histograms")
    right.plotly_chart(roc_figure(fpr, tpr, auc, point), key=f"{key}_roc")
    return threshold
