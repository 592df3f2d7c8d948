"""Build a checkpoint's explorer bundle (aelib.io.bundle.Bundle): sample test images, encode them,
precompute their maps and scores."""

from __future__ import annotations

import numpy as np
import torch

from ..explore.latent import PrincipalAxes, tsne
from ..models.base import kl_per_dim
from ..preprocess.imaging import to_uint8
from ..scoring.anomaly import reconstruction_errors
from ..scoring.batching import batched, encode_all
from ..scoring.label_head import fit_for
from .bundle import Bundle


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
) -> Bundle:
    """Sample n_samples test images (seeded), encode them and precompute maps and scores; with
    n_train_map, also up to that many training images for the latent map; with ood_data, half as
    many out-of-distribution images and their scores."""
    generator = torch.Generator().manual_seed(seed)
    index = torch.randperm(len(data.x_test), generator=generator)[:n_samples].sort().values
    x = data.x_test[index]
    if data.kind == "image":  # encode exactly the 8-bit images the bundle stores and the app shows
        x = torch.from_numpy(to_uint8(x.numpy())).float() / 255.0
    y = None if data.y_test is None else data.y_test[index]
    codes = encode_all(model, x, y if model.is_conditional else None).numpy().astype(np.float32)
    plane = PrincipalAxes.fit(codes, k=2)
    items = {"images": to_uint8(x.numpy())} if data.kind == "image" else {"signals": x[:, 0, 0].numpy()}
    bundle = {
        **items,
        "test_index": index.numpy(),
        "codes": codes,
        "dim_score": dim_scores(model, x, y),
        "pca": plane.transform(codes),
        "pca_mean": plane.mean,
        "pca_components": plane.directions,
        "score": reconstruction_errors(model, x, y),
    }
    if y is not None:
        bundle["labels"] = y.numpy()
    train_index = torch.randperm(len(data.x_train), generator=generator)[:n_train_scores]
    y_train = None if data.y_train is None else data.y_train[train_index]
    bundle["train_score"] = reconstruction_errors(model, data.x_train[train_index], y_train)
    bundle |= fit_for(model, data, seed)  # the label head; {} without labels
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
    return Bundle(**bundle)


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
