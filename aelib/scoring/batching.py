"""Apply a model over a dataset in batches: the loop every evaluation, bundle and score shares."""

from __future__ import annotations

import torch


@torch.no_grad()
def batched(fn, x: torch.Tensor, y=None, batch_size: int = 500) -> torch.Tensor:
    """Apply fn(xb, yb) over batches and concatenate along dim 0."""
    outputs = []
    for start in range(0, len(x), batch_size):
        yb = None if y is None else y[start : start + batch_size]
        outputs.append(fn(x[start : start + batch_size], yb))
    return torch.cat(outputs)


def encode_all(model, x, y=None, batch_size: int = 500) -> torch.Tensor:
    """(N, C, H, W) -> (N, latent_dim) deterministic codes (posterior means for VAEs)."""
    model.eval()
    return batched(model.encode, x, y, batch_size)


def reconstruct_all(model, x, y=None, batch_size: int = 500) -> torch.Tensor:
    model.eval()
    return batched(model.reconstruct, x, y, batch_size)
