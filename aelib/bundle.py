"""Explorer bundles: what the app needs to open instantly, precomputed and stored in the checkpoint.

Arrays (N = sample size, D = latent_dim):
  images (N, C, H, W) uint8 (or signals (N, L) float32 for series and tables),
  labels (N,) int64 (when the dataset has them), test_index (N,),
  codes (N, D), dim_score (D,), pca (N, 2), pca_mean (D,), pca_components (2, D), tsne (N, 2),
  score (N,)  reconstruction MSE per image (the anomaly score),
  train_score (M,)  the same score on training images (threshold presets),
  ood_images / ood_score  optional out-of-distribution images and their scores.
"""

from __future__ import annotations

import numpy as np
import torch

from .anomaly import reconstruction_errors
from .evaluate import batched, encode_all
from .imaging import to_uint8
from .latent import PCAMap, tsne
from .models.base import kl_per_dim

BUNDLE_KEYS = (
    "images",
    "test_index",
    "codes",
    "dim_score",
    "pca",
    "pca_mean",
    "pca_components",
    "tsne",
    "score",
    "train_score",
)


@torch.no_grad()
def dim_scores(model, x: torch.Tensor, y=None) -> np.ndarray:
    """How much each latent dimension is used, (D,): mean KL to the prior for VAEs, variance otherwise."""
    y = y if model.is_conditional else None
    if model.is_variational:
        return batched(lambda xb, yb: kl_per_dim(*model.posterior(xb, yb)), x, y).mean(0).numpy().astype(np.float32)
    return encode_all(model, x, y).var(0).numpy().astype(np.float32)


def build_bundle(
    model, data, n_samples: int = 2000, seed: int = 0, ood_data=None, n_train_scores: int = 2000, with_tsne: bool = True
) -> dict[str, np.ndarray]:
    """Sample test images (seeded), encode them and precompute maps and scores."""
    generator = torch.Generator().manual_seed(seed)
    index = torch.randperm(len(data.x_test), generator=generator)[:n_samples].sort().values
    x = data.x_test[index]
    if data.kind == "image":  # encode exactly the 8-bit images the bundle stores and the app shows
        x = torch.from_numpy(to_uint8(x.numpy())).float() / 255.0
    y = None if data.y_test is None else data.y_test[index]
    codes = encode_all(model, x, y if model.is_conditional else None).numpy().astype(np.float32)
    pca = PCAMap.fit(codes)
    items = {"images": to_uint8(x.numpy())} if data.kind == "image" else {"signals": x[:, 0, 0].numpy()}
    bundle = {
        **items,
        "test_index": index.numpy(),
        "codes": codes,
        "dim_score": dim_scores(model, x, y),
        "pca": pca.transform(codes),
        "pca_mean": pca.mean,
        "pca_components": pca.components,
        "score": reconstruction_errors(model, x, y),
    }
    if y is not None:
        bundle["labels"] = y.numpy()
    train_index = torch.randperm(len(data.x_train), generator=generator)[:n_train_scores]
    y_train = None if data.y_train is None else data.y_train[train_index]
    bundle["train_score"] = reconstruction_errors(model, data.x_train[train_index], y_train)
    if with_tsne:
        bundle["tsne"] = tsne(codes, random_state=seed, n_jobs=2)
    if ood_data is not None:
        ood = ood_data.x_test[torch.randperm(len(ood_data.x_test), generator=generator)[: n_samples // 2]]
        if model.is_conditional:
            raise ValueError("out-of-distribution scores need an unconditional model")
        bundle["ood_images"] = to_uint8(ood.numpy())
        bundle["ood_score"] = reconstruction_errors(model, ood)
    return bundle


def check_bundle(bundle: dict[str, np.ndarray], latent_dim: int) -> list[str]:
    """Problems with a bundle's arrays (missing keys, inconsistent shapes); [] when sound."""
    items = "images" if "images" in bundle else "signals"
    problems = [f"missing array {k!r}" for k in (items, *BUNDLE_KEYS[1:]) if k not in bundle]
    if problems:
        return problems
    n = len(bundle[items])
    expected = {
        "test_index": (n,),
        "codes": (n, latent_dim),
        "dim_score": (latent_dim,),
        "pca": (n, 2),
        "pca_mean": (latent_dim,),
        "pca_components": (2, latent_dim),
        "tsne": (n, 2),
        "score": (n,),
    }
    if "labels" in bundle:
        expected["labels"] = (n,)
    for key, shape in expected.items():
        if tuple(bundle[key].shape) != shape:
            problems.append(f"{key} has shape {tuple(bundle[key].shape)}, expected {shape}")
    if items == "images" and bundle["images"].dtype != np.uint8:
        problems.append(f"images are {bundle['images'].dtype}, expected uint8")
    return problems
