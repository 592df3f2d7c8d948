"""Tabular anomalies: the fraud-detection story. A row that cannot be reconstructed well is suspect."""

import numpy as np
import streamlit as st

from aelib import AelibError
from aelib.datasets.tables import csv_columns, likely_label_column, read_csv_table
from aelib.explore.figures import feature_errors, roc_figure, score_histograms
from aelib.scoring.anomaly import isolation_forest_scores, roc
from aelib.scoring.tabular import MAX_LATENT, TableModel, default_latent, too_wide
from labapp import keys
from labapp.display import plain
from labapp.frame import setup_page
from labapp.jobs import heavy_job
from labapp.models import get_bundle, model_entries

setup_page("Tabular anomalies")
st.caption(
    "Fraud detection in one sentence: train an autoencoder on ordinary transactions; a transaction "
    "it cannot reconstruct well is unlike them, and worth a look. Here on the ODDS benchmarks "
    "or on your own CSV, beside scikit-learn's IsolationForest."
)


def odds_rows():
    entries = [e for e in model_entries()[0] if e.kind == "table"]
    if not entries:
        st.info("No tabular checkpoints are shipped; upload a CSV instead.")
        st.stop()
    default = next((i for i, e in enumerate(entries) if e.dataset == "odds_cardio"), 0)
    entry = st.selectbox("ODDS data set", entries, index=default, format_func=lambda e: e.dataset.removeprefix("odds_"))
    bundle = get_bundle(entry)
    if bundle.signals is None:
        st.info("This checkpoint has no bundle of rows.")
        st.stop()
    st.caption(
        f"{len(bundle.signals)} test rows (z-scored); the shipped `{entry.id}` scored AUC "
        f"{entry.metrics.get('anomaly_auc', float('nan')):.3f} vs IsolationForest "
        f"{entry.metrics.get('isolation_forest_auc', float('nan')):.3f} on the full test split."
    )
    names = [f"x{i}" for i in range(bundle.signals.shape[1])]
    return bundle.signals, bundle.labels.astype(bool), names


def uploaded_rows():
    upload = st.file_uploader("CSV (numeric columns; a header row is detected)", type=["csv", "txt", "tsv"])
    if upload is None:
        st.info("Upload a CSV to score its rows.")
        st.stop()
    data = upload.getvalue()
    columns = csv_columns(data)
    options = ["(none)", *columns]  # a column named like labels is preselected: not a feature to rebuild
    guess = likely_label_column(columns)
    label = st.selectbox(
        "Label column (1 / the rarer value = anomaly)", options, index=options.index(guess) if guess else 0
    )
    try:
        table = read_csv_table(data, upload.name, None if label == "(none)" else label)
    except AelibError as exc:
        st.error(plain(str(exc)))
        st.stop()
    for note in table.notes:
        st.caption(plain(note))
    return table.features, table.labels, table.feature_names


source = st.radio("Data", ["ODDS benchmark", "Upload CSV"], horizontal=True)
features, labels, names = odds_rows() if source == "ODDS benchmark" else uploaded_rows()
st.write(
    f"{len(features):,} rows × {features.shape[1]} numeric features"
    + (f", {int(labels.sum())} labelled anomalies" if labels is not None else ", no labels")
)

if features.shape[1] < 2:
    st.error(
        "An autoencoder needs at least 2 numeric columns: it learns to compress the features into "
        "fewer numbers, and one column cannot be compressed."
    )
    st.stop()
cols = st.columns(4)
max_latent = min(MAX_LATENT, features.shape[1] - 1)  # a bottleneck narrower than the input
if max_latent > 1:
    latent_dim = cols[0].slider(
        "Latent size",
        1,
        max_latent,
        min(default_latent(features.shape[1]), max_latent),
        help="How many numbers each row is squeezed into. Narrower than the table, or every row is rebuilt well.",
    )
    if too_wide(latent_dim, features.shape[1]):
        cols[0].warning(
            f"A latent size of {latent_dim} keeps more than half of the {features.shape[1]} columns: the "
            "autoencoder can rebuild nearly every row, outliers too, so they will hardly stand out. "
            f"Try {default_latent(features.shape[1])}."
        )
else:
    latent_dim = 1
    cols[0].caption(f"Latent size 1 (the table has {features.shape[1]} numeric columns)")
epochs = cols[1].slider("Epochs", 5, 100, 30)
normal_only = cols[2].toggle("Train on rows labelled normal", value=labels is not None, disabled=labels is None)
train_clicked = cols[3].button("Train autoencoder", type="primary")
key = (source, features.shape, latent_dim, epochs, normal_only)
if train_clicked:
    bar = st.progress(0.0, text="training…")
    mask = ~labels if (normal_only and labels is not None) else None
    try:
        with heavy_job(bar, need_mb=60 + features.nbytes * 6 / 2**20, what="training on this table"):
            table_model = TableModel.fit(
                features,
                mask,
                latent_dim=latent_dim,
                epochs=epochs,
                callback=lambda r: bar.progress(
                    r["epoch"] / epochs, text=f"epoch {r['epoch']}/{epochs}, val loss {r['val_loss']:.3f}"
                ),
            )
    except AelibError as exc:
        bar.empty()
        st.error(plain(str(exc)))
        st.stop()
    bar.empty()
    st.session_state[keys.TABLE_MODEL] = (key, table_model)
if st.session_state.get(keys.TABLE_MODEL, (None,))[0] != key:
    st.info("Press **Train autoencoder** (a few seconds on a laptop).")
    st.stop()

errors = st.session_state[keys.TABLE_MODEL][1].row_errors(features)
scores = errors.mean(1)
if not np.isfinite(scores).all():  # never rank by row order silently
    st.warning(f"{int((~np.isfinite(scores)).sum())} row(s) could not be scored (values too large); ranked first.")
    scores = np.where(np.isfinite(scores), scores, np.inf)
worst = np.argsort(-scores, kind="stable")[:200]
ranking = {"row": worst, "reconstruction error": scores[worst]}
if labels is not None:
    ranking["labelled anomaly"] = labels[worst]
left, right = st.columns(2)
with left:
    st.markdown("**Rows ranked by reconstruction error**")
    st.dataframe(ranking, hide_index=True, height=300)
    row = st.number_input("Row to explain", 0, len(scores) - 1, int(worst[0]))
with right:
    st.plotly_chart(feature_errors(errors[row], names, f"row {row}: which features it could not rebuild"))
if labels is not None:
    fpr, tpr, auc = roc(scores, labels)
    forest_auc = roc(isolation_forest_scores(features[~labels] if normal_only else features, features), labels)[2]
    cols = st.columns(2)
    cols[0].metric("Autoencoder AUC", f"{auc:.3f}")
    cols[1].metric(
        "IsolationForest AUC", f"{forest_auc:.3f}", delta=f"{forest_auc - auc:+.3f} vs AE", delta_color="off"
    )
    fitted = "the normal ones among them" if normal_only else "all of them"
    held_out = " The shipped model's AUC above is on a held-out test split." if source == "ODDS benchmark" else ""
    in_sample = "in-sample AUCs, kinder than on new rows"
    st.caption(f"Both scored on the rows they were fitted to ({fitted}): {in_sample}.{held_out}")
    left, right = st.columns(2)
    left.plotly_chart(score_histograms({"normal": scores[~labels], "anomaly": scores[labels]}, unit="MSE per value"))
    right.plotly_chart(roc_figure(fpr, tpr, auc))
