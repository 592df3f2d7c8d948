"""Explorer bundles: what the app needs to open instantly, precomputed and stored in the checkpoint.

Arrays (N = sample size, D = latent_dim):
  images (N, C, H, W) uint8 (or signals (N, L) float32 for series and tables),
  labels (N,) int64 (when the dataset has them), test_index (N,),
  codes (N, D), dim_score (D,), pca (N, 2), pca_mean (D,), pca_components (2, D), tsne (N, 2),
  score (N,)  reconstruction MSE per image (the anomaly score),
  train_score (M,)  the same score on training images (threshold presets),
  ood_images / ood_score  optional out-of-distribution images and their scores,
  train_images, train_codes, train_labels, train_index (M, ...)  optional: training images encoded
    too, for the latent map of a small data set (all 400 Olivetti faces, not only the 40 test ones),
    with map_tsne (N + M, 2), the t-SNE of test and training codes together,
  label_head_hidden, label_head_out  optional: a small classifier of codes trained on the training
    images' codes (aelib.scoring.label_head), for labelled image models.
"""

from __future__ import annotations

import numpy as np
import torch

from ..explore.latent import PCAMap, tsne
from ..models.base import kl_per_dim
from ..preprocess.imaging import to_uint8
from ..scoring.anomaly import reconstruction_errors
from ..scoring.batching import batched, encode_all
from ..scoring.label_head import fit_for

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
    model,
    data,
    n_samples: int = 2000,
    seed: int = 0,
    ood_data=None,
    n_train_scores: int = 2000,
    with_tsne: bool = True,
    n_train_map: int = 0,
) -> dict[str, np.ndarray]:
    """Sample test images (seeded), encode them and precompute maps and scores; with n_train_map,
    also up to that many training images for the latent map (see the module's docstring)."""
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
    bundle |= fit_for(model, data, seed)  # {} without labels
    if with_tsne:
        bundle["tsne"] = tsne(codes, random_state=seed, n_jobs=2)
    if n_train_map and data.kind == "image":
        bundle |= train_map_arrays(model, data, n_train_map, generator, codes, seed if with_tsne else None)
    if ood_data is not None:
        ood = ood_data.x_test[torch.randperm(len(ood_data.x_test), generator=generator)[: n_samples // 2]]
        if model.is_conditional:
            raise ValueError("out-of-distribution scores need an unconditional model")
        bundle["ood_images"] = to_uint8(ood.numpy())
        bundle["ood_score"] = reconstruction_errors(model, ood)
    return bundle


def train_map_arrays(model, data, n: int, generator, test_codes: np.ndarray, tsne_seed: int | None) -> dict:
    """Up to n training images (seeded sample, sorted), their codes and labels, and the t-SNE of
    the test and training codes together (when tsne_seed is not None)."""
    index = torch.randperm(len(data.x_train), generator=generator)[:n].sort().values
    x = torch.from_numpy(to_uint8(data.x_train[index].numpy())).float() / 255.0
    y = None if data.y_train is None else data.y_train[index]
    codes = encode_all(model, x, y if model.is_conditional else None).numpy().astype(np.float32)
    arrays = {"train_images": to_uint8(x.numpy()), "train_codes": codes, "train_index": index.numpy()}
    if y is not None:
        arrays["train_labels"] = y.numpy()
    if tsne_seed is not None:
        arrays["map_tsne"] = tsne(np.concatenate([test_codes, codes]), random_state=tsne_seed, n_jobs=2)
    return arrays


def map_points(bundle: dict) -> dict:
    """What the latent map draws: the test sample, then the training images the bundle also encoded.
    Keys: codes (N, D), labels (N,) or None, images (N, C, H, W) (None for series), train (N,) bool,
    pca (N, 2) (the test codes' plane), tsne (N, 2) or None. Without training images: the test arrays."""
    test = {
        "codes": bundle["codes"],
        "labels": bundle.get("labels"),
        "images": bundle.get("images"),
        "train": np.zeros(len(bundle["codes"]), bool),
        "pca": bundle["pca"],
        "tsne": bundle.get("tsne"),
    }
    if "train_codes" not in bundle:
        return test
    n_train = len(bundle["train_codes"])
    labels = None
    if test["labels"] is not None and "train_labels" in bundle:
        labels = np.concatenate([test["labels"], bundle["train_labels"]])
    codes = np.concatenate([bundle["codes"], bundle["train_codes"]])
    return {
        "codes": codes,
        "labels": labels,
        "images": np.concatenate([bundle["images"], bundle["train_images"]]),
        "train": np.r_[test["train"], np.ones(n_train, bool)],
        "pca": PCAMap(bundle["pca_mean"], bundle["pca_components"]).transform(codes),
        "tsne": bundle.get("map_tsne"),
    }


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
    if "train_codes" in bundle:  # the optional training images for the map
        m = len(bundle["train_codes"])
        expected |= {"train_codes": (m, latent_dim), "train_index": (m,), "map_tsne": (n + m, 2)}
        if items == "images":
            expected["train_images"] = (m, *bundle["images"].shape[1:])
        if "labels" in bundle:
            expected["train_labels"] = (m,)
    problems += [f"missing array {k!r}" for k in expected if k not in bundle]
    for key, shape in expected.items():
        if key in bundle and tuple(bundle[key].shape) != shape:
            problems.append(f"{key} has shape {tuple(bundle[key].shape)}, expected {shape}")
    if items == "images" and bundle["images"].dtype != np.uint8:
        problems.append(f"images are {bundle['images'].dtype}, expected uint8")
    return problems
