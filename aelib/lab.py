"""Computations behind the lab pages: explain one reconstruction, compare denoisers, score uploads."""
from __future__ import annotations

import numpy as np
import torch

from . import inference
from .imaging import median_filter, psnr, ssim
from .latent import PCAMap
from .noise import corrupt


def explain_reconstruction(model, image: np.ndarray, bundle: dict, k_nearest: int = 5, label=None) -> dict:
    """Everything the reconstruct page shows for one (H, W) image in [0, 1]: reconstruction,
    error map, code, its spot on the bundle's PCA map, nearest test images, compression numbers."""
    result = inference.reconstruct(model, image, label)
    if "codes" in bundle:
        pca = PCAMap(bundle["pca_mean"], bundle["pca_components"])
        result["map_xy"] = pca.transform(result["code"][None])[0]
        result["nearest"] = inference.nearest(bundle["codes"], result["code"], k_nearest)
    result["compression"] = inference.compression_readout(image, len(result["code"]))
    return result


def classical_baselines(noisy: np.ndarray) -> dict[str, np.ndarray]:
    """Non-learned denoisers to beat: a 3x3 median filter and non-local means (Buades et al. 2005)
    with the noise level estimated from the image (wavelet MAD, Donoho & Johnstone 1994)."""
    from skimage.restoration import denoise_nl_means, estimate_sigma
    sigma = float(estimate_sigma(noisy))
    nl_means = denoise_nl_means(noisy, h=0.8 * max(sigma, 1e-3), sigma=sigma, patch_size=3,
                                patch_distance=5, fast_mode=True)
    return {"median filter 3x3": median_filter(noisy, 3), "non-local means": np.clip(nl_means, 0, 1)}


def denoise_comparison(clean: np.ndarray, kind: str, level: float, models: dict, seed: int = 0) -> list[dict]:
    """Corrupt `clean` (H, W) and denoise it with each model and the classical baselines.
    Returns rows of {name, image, psnr, ssim}, starting with the clean and the noisy image."""
    noisy = corrupt(torch.from_numpy(clean)[None, None], kind, level,
                    generator=torch.Generator().manual_seed(seed))[0, 0].numpy()
    outputs = {"noisy input": noisy}
    for name, model in models.items():
        outputs[name] = inference.decode(model, inference.encode(model, noisy[None]))[0]
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
        lines.append(f"| {r['name']} | {f'**{psnr_text}**' if r['psnr'] == best_psnr else psnr_text} | "
                     f"{f'**{ssim_text}**' if r['ssim'] == best_ssim else ssim_text} |")
    return "\n".join(lines)


def score_image(model, image: np.ndarray, threshold: float) -> dict:
    """Anomaly score (reconstruction MSE) of one image and the verdict at `threshold`."""
    result = inference.reconstruct(model, image)
    return {**result, "score": result["mse"], "anomalous": result["mse"] > threshold}
