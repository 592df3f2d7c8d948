"""Computations behind the lab pages: explain one reconstruction, compare denoisers, score uploads."""

from __future__ import annotations

import numpy as np
import torch

from ..io.bundle import Bundle
from ..preprocess.imaging import median_filter, psnr, ssim
from ..training.noise import corrupt
from . import inference
from .verdict import grade, verdict_reference


def explain_reconstruction(model, image: np.ndarray, bundle: Bundle, **judge_options) -> dict:
    """Everything the reconstruct page shows for one (H, W) image in [0, 1]: `judge`'s answer (the
    same options) and compression numbers."""
    result = judge(model, image, bundle, **judge_options)
    result["compression"] = inference.compression_readout(image, len(result["code"]))
    return result


def judge(
    model,
    image: np.ndarray,
    bundle: Bundle,
    k_nearest: int = 5,
    label=None,
    reference: dict | None = None,
    evidence: dict | None = None,
) -> dict:
    """The model's reading of one (H, W[, 3]) image in [0, 1], the one every page shows a verdict
    from: reconstruction, error map, code, its spot on the bundle's PCA map, nearest test images
    and their majority label (nearest_vote), the label the code reads as (nearest_label: the
    bundle's label head when it has one, label_from "classifier", else the vote, label_from
    "vote"), how typical the input is (`typicality`; pass its cached `reference`, and the upload
    pipeline's `evidence` so the verdict judges the upload, not only what was kept)."""
    result = inference.reconstruct(model, image, label)
    if bundle.codes is not None:
        result["map_xy"] = bundle.plane.transform(result["code"][None])[0]
        result["nearest"] = inference.nearest(bundle.codes, result["code"], k_nearest)
        if bundle.score is not None and bundle.images is not None:
            result["typicality"] = typicality(
                image, result, bundle, reference or typicality_reference(bundle, k_nearest), evidence
            )
        if bundle.labels is not None:
            votes = np.bincount(bundle.labels[result["nearest"]])
            result["nearest_vote"] = int(np.argmax(votes))
            # the label head (aelib.scoring.label_head) when the bundle has one, else the vote
            head = bundle.label_head
            result["nearest_label"] = result["nearest_vote"] if head is None else head.read(result["code"])
            result["label_from"] = "vote" if head is None else "classifier"
    return result


def knn_distances(codes: np.ndarray, k: int = 5) -> np.ndarray:
    """(N,) mean distance from each code to its k nearest other codes: the test set's own spread."""
    squared = (codes**2).sum(1)
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None] - 2 * codes @ codes.T, 0))
    np.fill_diagonal(distances, np.inf)
    return np.sort(distances, axis=1)[:, :k].mean(1)


def typicality_reference(bundle: Bundle, k: int = 5) -> dict:
    """What `typicality` compares an input with, computed once per bundle: the test codes' own
    k-NN spread (N,), the median total intensity of the test images, and the verdict's reference
    (aelib.explore.verdict.verdict_reference)."""
    images = bundle.images.reshape(len(bundle.images), -1).astype(np.float32) / 255.0
    return {
        "k": k,
        "knn": knn_distances(bundle.codes, k),
        "ink": float(max(np.median(images.sum(1)), 1e-6)),
        "verdict": verdict_reference(bundle),
    }


def typicality(
    image: np.ndarray, result: dict, bundle: Bundle, reference: dict | None = None, evidence: dict | None = None
) -> dict:
    """How typical an input is for the model, against the bundle's test images.

    error_percentile: its reconstruction error among the test images' errors (bundle "score");
    ood_percentile: the mean distance of its code to its k nearest test codes, among the test
    codes' own such distances; ink_ratio: its total intensity over the test images' median (a
    near-empty input reconstructs with a tiny error and must not pass as a good result).
    The graded verdict (aelib.explore.verdict.grade, measured in benchmarks/upload_verdict.py): word
    ("typical", "unusual", "unlike"), text and verdict (the sentence, with its reasons), score,
    near_boundary, reasons, and typical (word == "typical"). evidence: what the upload pipeline
    set aside (aelib.preprocess.uploads.Prepared.evidence). reference: `typicality_reference(bundle)`,
    cached by the caller (else computed here).
    """
    reference = reference or typicality_reference(bundle)
    own = np.sort(np.linalg.norm(bundle.codes - result["code"], axis=1))[: reference["k"]].mean()
    out = {
        "error_percentile": float((bundle.score < result["mse"]).mean() * 100),
        "ood_percentile": float((reference["knn"] < own).mean() * 100),
        "ink_ratio": float(image.sum() / reference["ink"]),
    }
    verdict = grade(result["code"], result["mse"], out["ink_ratio"], reference["verdict"], evidence, image)
    out.update(verdict, verdict=verdict["text"], typical=verdict["word"] == "typical")
    return out


def classical_baselines(noisy: np.ndarray) -> dict[str, np.ndarray]:
    """Non-learned denoisers to beat: a 3x3 median filter and non-local means (Buades et al. 2005)
    with the noise level estimated from the image (wavelet MAD, Donoho & Johnstone 1994)."""
    from skimage.restoration import denoise_nl_means, estimate_sigma

    channel_axis = -1 if noisy.ndim == 3 else None  # (H, W, 3): one sigma for all channels
    sigma = float(estimate_sigma(noisy, channel_axis=channel_axis, average_sigmas=True))
    nl_means = denoise_nl_means(
        noisy,
        h=0.8 * max(sigma, 1e-3),
        sigma=sigma,
        patch_size=3,
        patch_distance=5,
        fast_mode=True,
        channel_axis=channel_axis,
    )
    return {"median filter 3x3": median_filter(noisy, 3), "non-local means": np.clip(nl_means, 0, 1)}


def denoise_comparison(clean: np.ndarray, kind: str, level: float, models: dict, seed: int = 0) -> list[dict]:
    """Corrupt `clean` (H, W) or (H, W, 3) and denoise it with each model and the classical
    baselines. Returns rows of {name, image, psnr, ssim}, starting with the clean and the noisy image."""
    channels = 3 if clean.ndim == 3 else 1
    x = inference.to_model_input(clean[None], (channels, *clean.shape[:2]))
    noisy = inference.for_display(corrupt(x, kind, level, generator=torch.Generator().manual_seed(seed)))[0]
    outputs = {"noisy input": noisy}
    for name, model in models.items():
        outputs[name] = inference.rebuild(model, noisy[None])[0]
    outputs.update(classical_baselines(noisy))
    rows = [{"name": "clean", "image": clean, "psnr": float("inf"), "ssim": 1.0}]
    for name, output in outputs.items():
        rows.append({"name": name, "image": output, "psnr": psnr(clean, output), "ssim": ssim(clean, output)})
    return rows


def comparison_table(rows: list[dict]) -> str:
    """Markdown table of {name, psnr, ssim} rows, the best value of each column in bold."""
    best_psnr, best_ssim = max(r["psnr"] for r in rows), max(r["ssim"] for r in rows)
    lines = ["| image | PSNR (dB) | SSIM |", "|---|---:|---:|"]
    for r in rows:
        psnr_text, ssim_text = f"{r['psnr']:.2f}", f"{r['ssim']:.3f}"
        lines.append(
            f"| {r['name']} | {f'**{psnr_text}**' if r['psnr'] == best_psnr else psnr_text} | "
            f"{f'**{ssim_text}**' if r['ssim'] == best_ssim else ssim_text} |"
        )
    return "\n".join(lines)


def score_image(model, image: np.ndarray, threshold: float) -> dict:
    """Anomaly score (reconstruction MSE) of one image and the verdict at `threshold`."""
    result = inference.reconstruct(model, image)
    return {**result, "score": result["mse"], "anomalous": result["mse"] > threshold}
