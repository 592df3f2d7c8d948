"""Anomalies: reconstruction error as an anomaly score, with thresholds, metrics and ROC."""

import numpy as np
import streamlit as st

from aelib import AelibError
from aelib.explore import inference
from aelib.explore.lab import score_image, typicality
from aelib.preprocess.imaging import stored_to_display, thumbnail
from aelib.scoring.anomaly import anomaly_setups
from labapp.anomaly import threshold_panel
from labapp.display import plain, show_images
from labapp.frame import setup_page
from labapp.models import typicality_reference
from labapp.picker import choose_model

setup_page("Anomaly detection")
st.caption(
    "An autoencoder reconstructs what resembles its training data. A high reconstruction error "
    "says: this does not look like anything I was trained on."
)
entry, checkpoint, bundle = choose_model(
    need=lambda e: bool(e.keep_classes or e.ood_dataset),
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
    np.concatenate([bundle.images, bundle.ood_images])
    if bundle.ood_score is not None and len(scores) > len(bundle.score)
    else bundle.images
)

threshold = threshold_panel(scores, is_anomaly, key=f"anomaly_{entry.id}_{list(setups).index(setup)}")

k = st.slider("Most anomalous", 4, 16, 8)
top = np.argsort(-scores)[:k]
images = stored_to_display(all_images[top])
recon = inference.rebuild(checkpoint.model, images)
show_images(images, [f"score {scores[i]:.4f}" + (" ⚠" if is_anomaly[i] else "") for i in top], height=90, n_cols=k)
st.caption("Their reconstructions:")  # one line, not a word too long for each 90-px column
show_images(recon, height=90, n_cols=k)

st.subheader("Score your own image")
upload = st.file_uploader("Image", type=["png", "jpg", "jpeg", "bmp", "webp"])
if upload is not None:
    try:
        prepared = inference.prepare_upload(
            upload.getvalue(), upload.name, entry.dataset, checkpoint.model.config.image_shape
        )
        result = score_image(checkpoint.model, prepared["image"], threshold)
        side = "above" if result["anomalous"] else "below"
        verdict = "**anomalous**" if result["anomalous"] else "**normal**"
        st.markdown(
            f"**By its score** ({setup.split(':')[0]}): {plain(upload.name)} scores {result['score']:.4f}, "
            f"{side} the threshold {threshold:.4f}: {verdict}."
        )
        if bundle.codes is not None and bundle.images is not None:  # graded: the whole upload, not only the part kept
            graded = typicality(
                prepared["image"], result, bundle, typicality_reference(entry), prepared.get("evidence")
            )
            st.markdown("**Compared with everything in the test set** (the code, the error and what was set aside):")
            {"typical": st.success, "unusual": st.warning}.get(graded["word"], st.error)(plain(graded["text"]))
            if (graded["word"] == "typical") == result["anomalous"]:
                st.caption(
                    "The two answers differ because they ask different questions. The score asks only how well "
                    "this model rebuilds the image, against the threshold set above"
                    + (", and this model was trained on one class only" if "one-class" in setup else "")
                    + "; the second asks whether the image is like the test images at all. A photograph can be "
                    "rebuilt with a low error and still be nothing like them; a digit of another class is like "
                    "them and still an anomaly for a one-class model."
                )
        show_images(
            [thumbnail(prepared["gray"], 110), prepared["image"], result["recon"]],
            ["your upload", "preprocessed", "rebuilt"],  # (fits under a 110-px image)
            height=110,
            n_cols=6,
        )
    except AelibError as exc:
        st.error(plain(str(exc)))
