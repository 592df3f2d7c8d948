"""The label a code reads as: a small classifier on the encoder's code, stored with the bundle.

The bundle's 5 nearest test codes vote for a label; with about 2,000 test codes that vote is right
on 94% of MNIST test digits for mnist_conv_ae (the linear probe: 92%). A one-hidden-layer network
(HIDDEN ReLU units) trained on the codes of every training image is right on 98.5% of them in 22 KB;
a distance-weighted 5-NN over all 60,000 training codes, 97.9%, would need 3.8 MB of float16
(benchmarks/results/real_uploads_issue22.txt). Trained by build_bundle for labelled image models
that are not conditional (a conditional model is given the label); models without it (older files,
uploads) keep the vote.

Two bundle arrays, the inputs' standardisation folded into the first layer, each with its bias as
the last row: label_head_hidden (D + 1, HIDDEN) and label_head_out (HIDDEN + 1, C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

KEYS = ("label_head_hidden", "label_head_out")
HIDDEN = 128
PASSES, BATCH = 25, 256  # Adam steps: 25 passes over the codes in batches of 256 ...
MIN_STEPS, MAX_STEPS = 200, 6000  # ... at least 200 (a small set) and at most 6,000 (MNIST's 60,000: 5,860)
MAX_HIDDEN = 4096  # what a file from elsewhere may declare
MAX_CODES = 60_000  # training images encoded for the head (a seeded sample of a larger set)


def fit_for(model, data, seed: int = 0) -> dict[str, np.ndarray]:
    """The label head for `model` on `data`'s training images (8-bit, as the bundle stores them):
    {} when there is nothing to learn (unlabelled or not images, a conditional model, one class)."""
    from ..preprocess.imaging import to_uint8
    from .batching import encode_all

    if data.y_train is None or data.kind != "image" or model.is_conditional or len(data.y_train.unique()) < 2:
        return {}
    index = torch.randperm(len(data.x_train), generator=torch.Generator().manual_seed(seed))[:MAX_CODES]
    codes = []
    for start in range(0, len(index), 5000):  # a chunk at a time: no second copy of a 60,000-image set
        x = torch.from_numpy(to_uint8(data.x_train[index[start : start + 5000]].numpy())).float() / 255.0
        codes.append(encode_all(model, x).numpy())
    labels = data.y_train[index]
    n_classes = max(data.n_classes, int(labels.max()) + 1, int(data.y_test.max()) + 1 if data.y_test is not None else 0)
    return train_label_head(np.concatenate(codes), labels.numpy(), n_classes, seed=seed)


def train_label_head(
    codes: np.ndarray, labels: np.ndarray, n_classes: int, hidden: int = HIDDEN, steps: int = 0, seed: int = 0
) -> dict[str, np.ndarray]:
    """A seeded one-hidden-layer classifier of codes (N, D) with labels (N,) in [0, n_classes):
    the two arrays of KEYS, float32. steps: Adam steps (0: PASSES over the codes, within MIN/MAX_STEPS)."""
    steps = steps or int(np.clip(PASSES * -(-len(codes) // BATCH), MIN_STEPS, MAX_STEPS))
    codes = torch.as_tensor(np.asarray(codes, np.float32))
    labels = torch.as_tensor(np.asarray(labels)).long()
    mean, std = codes.mean(0), codes.std(0) + 1e-6
    x = (codes - mean) / std
    generator = torch.Generator().manual_seed(seed)
    first, second = torch.nn.Linear(x.shape[1], hidden), torch.nn.Linear(hidden, n_classes)
    for layer in (first, second):  # seeded, not from the global RNG (training may run beside it)
        bound = 1 / layer.in_features**0.5
        with torch.no_grad():
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    net = torch.nn.Sequential(first, torch.nn.ReLU(), second)
    optimizer = torch.optim.AdamW(net.parameters(), 3e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # steps this small only wait on each other's threads (18 s -> 1.3 s per 1,000)
    try:
        with torch.enable_grad():
            for _ in range(steps):
                batch = torch.randint(len(x), (min(BATCH, len(x)),), generator=generator)
                loss = torch.nn.functional.cross_entropy(net(x[batch]), labels[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        weight = first.weight / std  # (H, D): applies to raw codes
        bias = first.bias - weight @ mean
        hidden_layer = torch.cat([weight.T, bias[None]]).numpy().astype(np.float32)
        out = torch.cat([second.weight.T, second.bias[None]]).numpy().astype(np.float32)
    return {KEYS[0]: hidden_layer, KEYS[1]: out}


@dataclass(frozen=True)
class LabelHead:
    """The stored classifier: hidden (D + 1, H) and out (H + 1, C), each with its bias as the last row."""

    hidden: np.ndarray
    out: np.ndarray

    def logits(self, codes: np.ndarray) -> np.ndarray:
        """(N, D) or (D,) codes -> (N, C) or (C,) class scores."""
        hidden_layer, out = np.asarray(self.hidden, np.float64), np.asarray(self.out, np.float64)
        hidden = np.maximum(np.asarray(codes, np.float64) @ hidden_layer[:-1] + hidden_layer[-1], 0)
        return hidden @ out[:-1] + out[-1]

    def doubt(self, codes: np.ndarray) -> np.ndarray:
        """1 - the largest class probability for codes (N, D) or (D,): how unsure it is which class
        the code is (Hendrycks & Gimpel 2017); the verdict's `doubt` part (aelib.explore.verdict)."""
        logits = self.logits(codes)
        logits = logits - logits.max(-1, keepdims=True)
        probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return 1.0 - probabilities.max(-1)

    def read(self, code: np.ndarray) -> int:
        """The label `code` (D,) reads as."""
        return int(np.argmax(self.logits(code)))


def head_problems(bundle: dict[str, np.ndarray], latent_dim: int, n_classes: int, max_classes: int) -> list[str]:
    """Problems with the label head in a bundle's arrays by name (both arrays or neither, shapes
    that chain from the code to at most n_classes scores (max_classes when unknown), finite
    float32 numbers); [] when sound."""
    present = [k for k in KEYS if k in bundle]
    if not present:
        return []
    if len(present) == 1:
        return [f"{present[0]} without {next(k for k in KEYS if k not in bundle)}"]
    hidden_layer, out = (bundle[k] for k in KEYS)
    problems = []
    shape = hidden_layer.shape
    if hidden_layer.ndim != 2 or shape[0] != latent_dim + 1 or not 1 <= shape[1] <= MAX_HIDDEN:
        problems.append(
            f"{KEYS[0]} has shape {tuple(hidden_layer.shape)}, expected ({latent_dim + 1}, 1 to {MAX_HIDDEN})"
        )
    high = n_classes or max_classes
    width = hidden_layer.shape[1] + 1 if hidden_layer.ndim == 2 else "?"
    if out.ndim != 2 or out.shape[0] != width or not 2 <= out.shape[1] <= high:
        problems.append(f"{KEYS[1]} has shape {tuple(out.shape)}, expected ({width}, 2 to {high})")
    for key in KEYS:
        if bundle[key].dtype.kind != "f" or not np.isfinite(bundle[key]).all():
            problems.append(f"{key} must be finite numbers")
    return problems


def head_report(bundle) -> str:
    """How often the bundle's (aelib.io.bundle.Bundle) label head, and the 5-NN vote of the other test
    codes, give the bundle's test labels (images the head was not trained on)."""
    head = bundle.label_head
    if head is None or bundle.labels is None:
        return "none (no labels, a conditional model, or not images)"
    codes, labels = np.asarray(bundle.codes, np.float64), bundle.labels
    right = float((head.logits(codes).argmax(1) == labels).mean())
    squared = (codes**2).sum(1)
    distances = squared[:, None] + squared[None] - 2 * codes @ codes.T
    np.fill_diagonal(distances, np.inf)
    votes = np.array([np.bincount(labels[row]).argmax() for row in np.argsort(distances, 1)[:, :5]])
    vote = float(np.mean(votes == labels))
    return f"{right:.1%} of the bundle's {len(labels)} test labels (5-NN vote of the others: {vote:.1%})"
