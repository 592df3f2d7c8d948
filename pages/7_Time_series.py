"""Time series: an autoencoder trained on normal heartbeats flags the beats it cannot rebuild."""

import numpy as np
import streamlit as st

from aelib import AelibError
from aelib.datasets.base import as_rows
from aelib.datasets.tables import read_csv_table
from aelib.explore import inference
from aelib.explore.figures import latent_scatter, series_overlay
from aelib.scoring.anomaly import anomaly_setups, reconstruction_errors
from labapp.anomaly import threshold_panel
from labapp.display import label_names, plain, titled_chart
from labapp.frame import setup_page
from labapp.picker import choose_model

setup_page("Time series")
st.caption(
    "ECG5000 heartbeats (140 samples each). The model saw only normal beats in training, so "
    "an abnormal beat reconstructs badly: its reconstruction error is the anomaly score."
)
entry, checkpoint, bundle = choose_model(kind="series", need_text="it needs a time-series model", need_codes=True)
model, signals, labels = checkpoint.model, bundle.signals, bundle.labels
names = label_names(checkpoint)
setups = anomaly_setups(bundle, checkpoint.header)
if not setups:
    st.info("This model has no labelled normal class, so there is nothing to score against.")
    st.stop()
scores, is_anomaly = next(iter(setups.values()))

beats_tab, scores_tab, map_tab, upload_tab = st.tabs(["Beats", "Scores and threshold", "Latent map", "Upload CSV"])
with beats_tab:
    classes = sorted(set(labels.tolist())) if labels is not None else [None]
    cls = st.selectbox("Class", classes, format_func=lambda c: names[c] if c is not None and names else "all")
    candidates = np.flatnonzero(labels == cls) if cls is not None else np.arange(len(signals))
    n = len(candidates)
    nth = st.slider(f"Beat of this class (1 to {n})", 1, n, 1) - 1 if n > 1 else 0
    index = int(candidates[nth])
    recon = inference.rebuild(model, signals[index][None, None, None])[0].ravel()
    titled_chart(
        series_overlay(
            signals[index],
            recon,
            f"test beat #{index}: {names[labels[index]] if names else ''} · score {scores[index]:.4f}",
        )
    )

with scores_tab:
    threshold = threshold_panel(
        scores,
        is_anomaly,
        key=f"series_{entry.id}",
        unit="MSE per value",
        names=("normal", "abnormal"),
    )

with map_tab:
    maps = ["PCA", "t-SNE"] if bundle.tsne is not None else ["PCA"]
    method = st.radio("Map", maps, horizontal=True, key="series_map")
    coords = bundle.pca if method == "PCA" else bundle.tsne
    titled_chart(latent_scatter(coords, labels, names, title=f"{method} of the beats' codes"))

with upload_tab:
    length = model.config.image_shape[-1]
    upload = st.file_uploader(f"CSV with one beat per row ({length} numbers)", type=["csv", "txt"])
    if upload is not None:
        try:
            table = read_csv_table(upload.getvalue(), upload.name, min_rows=1)
            for note in table.notes:
                st.caption(plain(note))
            if table.features.shape[1] != length:
                raise AelibError(
                    f"{upload.name}: rows have {table.features.shape[1]} values; this model needs {length}"
                )
            upload_scores = reconstruction_errors(model, as_rows(table.features))
            import pandas as pd

            result = pd.DataFrame(
                {
                    "row": np.arange(len(upload_scores)),
                    "score": upload_scores,
                    # a score that is not finite (values far beyond the training range) is never "normal"
                    "verdict": np.where(~(upload_scores <= threshold), "abnormal", "normal"),
                }
            )
            st.caption(f"Verdicts against the threshold {threshold:.4f} set under Scores and threshold.")
            st.dataframe(result, hide_index=True)
        except AelibError as exc:
            st.error(plain(str(exc)))
