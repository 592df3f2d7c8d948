"""Compare kinds: the same images through every kind of autoencoder on one data set, side by side."""

import numpy as np
import streamlit as st

from aelib.explore import compare
from aelib.explore.figures import series_overlay
from aelib.preprocess.imaging import psnr, stored_to_display
from labapp.compare import computed, header, own_images, pick_models, show_tile, verdict
from labapp.display import label_names
from labapp.frame import setup_page
from labapp.models import get_bundle, get_checkpoint, model_entries
from labapp.picker import choose_model

setup_page("Compare kinds")
st.caption(
    "Every column is one model, trained on the same data and shown the same images. The differences "
    "between the columns are what each kind of autoencoder adds. The sidebar's model picks the data set."
)
entry, checkpoint, _ = choose_model()
dataset, shape = entry.dataset, tuple(checkpoint.model.config.image_shape)
entries = model_entries()[0]
models = [
    m for m in pick_models(compare.same_data(entries, dataset), dataset) if tuple(m.net.config.image_shape) == shape
]


def columns():
    """One narrow column for the inputs and the lesson, then one per model, each under its kind."""
    cols = st.columns(1 + len(models), gap="small")
    for col, model in zip(cols[1:], models, strict=True):
        header(col, model)
    return cols[0], cols[1:]


if models:
    reference = models[0].bundle  # every model sees these test images (all bundles sample the test set)
    ref_labels = reference.labels
    left, right = st.columns(2)
    seed = left.number_input("Test images (another set for each number)", 0, 999, 0)
    level = right.slider("Noise added for the noisy row (std of a Gaussian)", 0.1, 1.0, 0.5, 0.05)
    index = compare.pick_test_images(ref_labels, len(reference.images), 4, int(seed))
    images = stored_to_display(reference.images[index])  # (4, H, W[, 3])
    labels = None if ref_labels is None else ref_labels[index]
    yours = own_images(dataset, shape)

    def rebuilt(model, batch, given=labels):
        return compare.reconstruct(model.net, batch, given if model.net.is_conditional else None)

    # 1. Reconstructions and error maps on one scale
    st.subheader("Rebuilding the same images")
    recons = {m.id: rebuilt(m, images) for m in models}
    own = {m.id: [rebuilt(m, item["image"][None], None)[0] for item in yours] for m in models}
    errors = {m.id: compare.error_maps(images, recons[m.id]) for m in models}
    own_errors = {
        m.id: [compare.error_maps(i["image"], r) for i, r in zip(yours, own[m.id], strict=True)] for m in models
    }
    vmax = compare.shared_scale([*errors.values(), *(e for v in own_errors.values() for e in v)])
    first, cols = columns()
    show_tile(first, images, "test images")
    first.caption(f"Error maps: black is exact, yellow is a squared error of {vmax:.2f} or more, in every column.")
    for item in yours:
        show_tile(first, compare.as_rgb(item["image"][None]), item["name"], slots=2)
    for col, model in zip(cols, models, strict=True):
        show_tile(col, recons[model.id], f"rebuilt · MSE {float(errors[model.id].mean()):.4f}")
        show_tile(col, compare.colour_errors(errors[model.id], vmax), "error map")
        for item, recon, error in zip(yours, own[model.id], own_errors[model.id], strict=True):
            pair = np.stack([compare.as_rgb(recon[None])[0], compare.colour_errors(error[None], vmax)[0]])
            show_tile(col, pair, f"{item['name']}: rebuilt · error", n_cols=2)
            verdict(col, model, item)
    st.caption(
        "A bigger code or convolutional layers keep more detail; a VAE trades a little sharpness for a "
        "tidy code. Your own image shows which models cope with something not taken from their test set; "
        "under each rebuild, that model's verdict on it (the Reconstruct page gives its reasons)."
    )

    # 2. Noisy inputs
    st.subheader("The same images with noise added")
    noisy = compare.add_noise(images, level, "gaussian", seed=int(seed))
    first, cols = columns()
    show_tile(first, noisy, f"noisy input · {psnr(images, noisy):.1f} dB")
    for col, model in zip(cols, models, strict=True):
        cleaned = rebuilt(model, noisy)
        show_tile(col, cleaned, f"rebuilt · {psnr(images, cleaned):.1f} dB")
    st.caption(
        "PSNR against the clean images, higher is better. The denoising AE was trained on noisy inputs "
        "with clean targets, so it removes the noise; the others rebuild the noise as if it were ink."
    )

    # 3. Random codes
    st.subheader("Decoding random codes")
    first, cols = columns()
    first.markdown("Random codes drawn from **N(0, I)**, the normal distribution a VAE is trained towards.")
    for col, model in zip(cols, models, strict=True):
        drawn = compare.samples(model.net, model.bundle.codes, 4, int(seed))
        show_tile(col, drawn["prior"], "from N(0, I)")
        if "fitted" in drawn:
            show_tile(col, drawn["fitted"], "from a Gaussian fitted to its codes")
        else:
            col.caption("A VAE's codes are already kept close to N(0, I).")
    st.caption(
        "A VAE is trained so that its codes fill N(0, I), so any random code decodes to a plausible image: "
        "it can generate. A plain AE's codes sit wherever training put them, so N(0, I) mostly lands in "
        "empty space and decodes to blurs; a Gaussian fitted to its codes does better, but gaps remain."
    )

    # 4. Interpolation midpoint
    st.subheader("Halfway between two images")
    pair = images[:2]
    first, cols = columns()
    show_tile(first, pair, "A and B", n_cols=2)
    show_tile(first, pair.mean(0)[None], "their pixel average", slots=2)
    for col, model in zip(cols, models, strict=True):
        given = None if labels is None else labels[:2]
        show_tile(col, compare.midpoint(model.net, pair, given)[1:2], "midpoint of the codes", slots=2)
    st.caption(
        "Averaging pixels just overlays two images. Decoding the average of two codes asks the model what "
        "lies between them: a VAE, whose code space has no holes, usually shows a blend that is itself a "
        "plausible image; a plain AE may show a smudge."
    )

    # 5. Latent maps
    st.subheader("Where the test images land (PCA of the codes)")
    first, cols = columns()
    first.markdown("Each dot is a test image, coloured by its class.")
    for col, model in zip(cols, models, strict=True):
        picture = compare.map_picture(model.bundle.pca, model.bundle.labels)
        show_tile(col, picture[None], "PCA map")
    st.caption(
        "Clusters that stay apart mean the code keeps the class. A VAE's map is round and centred (its "
        "codes are pulled towards N(0, I)); a plain AE's map can be stretched and lopsided."
    )

    # 6. The table
    st.subheader("In numbers")
    numbers = {m.id: computed(m) for m in models}
    rows = [compare.table_row(m.entry, m.net, m.checkpoint.header, numbers[m.id]) for m in models]
    st.markdown(compare.table_markdown(rows))  # markdown, not a dataframe: pandas costs the server ~60 MiB
    st.caption(
        "Test MSE, PSNR, IW-NLL and the linear probe are the checkpoints' own evaluations (`python -m aelib "
        f"eval --save`) on the test set. PSNR on a noisy input (Gaussian noise, std {compare.NOISE[1]}) and "
        "the share of code values near zero are measured here on the first 250 test images. IW-NLL (lower is "
        "better) exists only for VAEs: they define a probability for every image. The linear probe is how "
        "well a straight-line classifier reads the class off the code."
    )
    curves = {f"{m.id} ({m.kind})": numbers[m.id]["noise_psnr"] for m in models}
    st.plotly_chart(compare.noise_figure(curves), key="compare_noise_curve")
    st.markdown("**What each kind teaches**")
    st.markdown("\n".join(f"- **{m.kind}** (`{m.id}`) {compare.LESSONS.get(m.kind, '')}" for m in models))

# 7. The time-series pair
series = [e for e in entries if e.kind == "series" and get_bundle(e).signals is not None]
if series:
    st.subheader("Heartbeats: sequence autoencoders side by side")
    data = series[0].dataset
    pair = [e for e in series if e.dataset == data]
    bundle = get_bundle(pair[0])
    signals, beat_labels = bundle.signals, bundle.labels
    beat_names = label_names(get_checkpoint(pair[0]))
    choices = (
        [int(np.flatnonzero(beat_labels == c)[0]) for c in np.unique(beat_labels)] if beat_labels is not None else [0]
    )
    named = beat_labels is not None and bool(beat_names)
    beat = st.selectbox(
        "Beat", choices, format_func=lambda i: f"beat {i}: {beat_names[beat_labels[i]]}" if named else f"beat {i}"
    )
    cols = st.columns(len(pair))
    for col, series_entry in zip(cols, pair, strict=True):
        net = get_checkpoint(series_entry).model
        recon = compare.series_reconstructions(net, signals[[beat]])[0]
        title = f"{compare.kind_of(series_entry)} · error {float(np.mean((recon - signals[beat]) ** 2)):.3f}"
        fig = series_overlay(signals[beat], recon, title)
        fig.update_layout(legend={"orientation": "h", "y": -0.3}, margin={"b": 60}, height=340)
        col.plotly_chart(fig, key=f"compare_beat_{series_entry.id}")
        auc = series_entry.metrics.get("anomaly_auc")
        col.metric("anomaly AUC (test set)", "—" if auc is None else f"{auc:.3f}")
    st.caption(
        "Both were trained on normal beats only and flag a beat they cannot rebuild. The 1-D convolution "
        "sees the beat's local shapes at once; the LSTM must carry the whole beat through one summary "
        "vector, step by step. The AUC says how well the error separates normal from abnormal beats "
        "(1.0 is perfect, 0.5 is guessing)."
    )
