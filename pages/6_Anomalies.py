"""Anomalies: reconstruction error as an anomaly score, with thresholds, metrics and ROC."""

import numpy as np
import streamlit as st

from aelib import AelibError, inference
from aelib.anomaly import anomaly_setups, best_f1_threshold, roc, threshold_metrics, threshold_presets
from aelib.figures import roc_figure, score_histograms
from aelib.lab import score_image
from app_common import bundle_images, choose_model, plain, setup_page, show_images

setup_page("Anomaly detection")
st.caption(
    "An autoencoder reconstructs what resembles its training data. A high reconstruction error "
    "says: this does not look like anything I was trained on."
)
entry, checkpoint, bundle = choose_model(
    need=lambda e: bool(e.get("keep_classes") or e.get("ood_dataset")),
    need_text="it needs a model with precomputed out-of-distribution or one-class scores",
)
setups = anomaly_setups(bundle, checkpoint.header)
if not setups:
    st.info(
        "This model's bundle has no anomaly scores (bundle it with --ood-dataset, or train with "
        "--keep-classes). Pick another model in the sidebar."
    )
    st.stop()
setup = st.selectbox("Setup", list(setups))
scores, is_anomaly = setups[setup]
all_images = (
    np.concatenate([bundle["images"], bundle["ood_images"]])
    if "ood_score" in bundle and len(scores) > len(bundle["score"])
    else bundle["images"]
)

presets = threshold_presets(bundle["train_score"])
presets["best F1 (looks at the labels)"] = best_f1_threshold(scores, is_anomaly)
choice = st.radio("Threshold preset", [*presets, "custom"], horizontal=True)
low, high = float(scores.min()), float(scores.max())
high = max(high, low + 1e-6)  # a slider needs a range, even if every score is equal
threshold = st.slider(
    "Threshold (reconstruction MSE)",
    low,
    high,
    float(np.clip(presets.get(choice, np.median(scores)), low, high)),
    (high - low) / 500,
    format="%.4f",
    disabled=choice != "custom",
)
metrics = threshold_metrics(scores, is_anomaly, threshold)
fpr, tpr, auc = roc(scores, is_anomaly)
cols = st.columns(6)
for col, (name, value) in zip(
    cols,
    [("AUC", auc), ("precision", metrics["precision"]), ("recall", metrics["recall"]), ("F1", metrics["f1"])],
    strict=False,
):
    col.metric(name, f"{value:.3f}")
cols[4].metric("flagged", metrics["tp"] + metrics["fp"])
cols[5].metric("missed anomalies", metrics["fn"])
st.caption(
    f"Confusion counts: {metrics['tp']} true positives, {metrics['fp']} false positives, "
    f"{metrics['fn']} false negatives, {metrics['tn']} true negatives."
)

left, right = st.columns(2)
left.plotly_chart(score_histograms({"normal": scores[~is_anomaly], "anomaly": scores[is_anomaly]}, threshold))
point = (metrics["fp"] / max(1, metrics["fp"] + metrics["tn"]), metrics["recall"])
right.plotly_chart(roc_figure(fpr, tpr, auc, point))

k = st.slider("Most anomalous", 4, 16, 8)
top = np.argsort(-scores)[:k]
images = bundle_images({"images": all_images[top]})
recon = inference.decode(checkpoint.model, inference.encode(checkpoint.model, images))
show_images(images, [f"score {scores[i]:.4f}" + (" ⚠" if is_anomaly[i] else "") for i in top], height=90, n_cols=k)
st.caption("Their reconstructions:")  # one line, not a word too long for each 90-px column
show_images(recon, height=90, n_cols=k)

st.subheader("Score your own image")
upload = st.file_uploader("Image", type=["png", "jpg", "jpeg", "bmp", "webp"])
if upload is not None:
    try:
        prepared = inference.prepare_upload(
            upload.getvalue(), upload.name, entry["dataset"], checkpoint.model.config.image_shape
        )
        result = score_image(checkpoint.model, prepared["image"], threshold)
        verdict = "**anomalous**" if result["anomalous"] else "**normal**"
        st.markdown(f"{plain(upload.name)}: score {result['score']:.4f} against threshold {threshold:.4f}: {verdict}")
        show_images([prepared["image"], result["recon"]], ["preprocessed", "reconstruction"], height=110, n_cols=6)
    except AelibError as exc:
        st.error(plain(str(exc)))
