"""Training throughput: aelib's loop vs a faithful pytorch/examples VAE loop vs pure compute.

    python benchmarks/train_speed.py --data-root ../shared/data [--batches 150] [--rounds 3]

Runs are interleaved (reference, aelib, ceiling, reference, ...) so machine noise hits all three
alike; the table gives medians and ratios, the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aelib import TrainConfig, build_model, fit, load_dataset


class ExamplesVAE(nn.Module):
    """The model of pytorch/examples vae/main.py: 784-400-20, ReLU, sigmoid output."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def examples_loss(model, x):
    recon, mu, logvar = model(x)
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def torchvision_root(data_root: Path) -> Path:
    """torchvision's MNIST wants uncompressed idx files in a writable folder: make one."""
    target = Path(tempfile.mkdtemp()) / "MNIST" / "raw"
    target.mkdir(parents=True)
    for gz in (data_root / "MNIST" / "raw").glob("*.gz"):
        with gzip.open(gz) as src, open(target / gz.stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return target.parent.parent


def reference_loop(model_fn, loss_fn, root: Path, n_batches: int) -> float:
    """pytorch/examples style: DataLoader over torchvision MNIST with ToTensor, batch 128."""
    from torchvision import datasets, transforms

    loader = torch.utils.data.DataLoader(
        datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor()),
        batch_size=128,
        shuffle=True,
    )
    model = model_fn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    started, seen = time.perf_counter(), 0
    for i, (x, _) in enumerate(loader):
        if i == n_batches:
            break
        optimizer.zero_grad()
        loss = loss_fn(model, x)
        loss.backward()
        optimizer.step()
        seen += len(x)
    return seen / (time.perf_counter() - started)


def aelib_loop(name: str, config: dict, data, n_batches: int) -> float:
    model = build_model(name, **config)
    train = TrainConfig(epochs=1, batch_size=128, max_train=n_batches * 128 + 1, val_fraction=0.0)
    state = fit(model, data, train)
    return n_batches * 128 / state.history[0]["seconds"]


def ceiling_loop(name: str, config: dict, data, n_batches: int) -> float:
    """Pure model compute on in-memory tensors: no shuffling, no data pipeline, no bookkeeping."""
    model = build_model(name, **config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [data.x_train[i * 128 : (i + 1) * 128] for i in range(n_batches)]
    model.train()
    started = time.perf_counter()
    for x in batches:
        optimizer.zero_grad()
        model.loss(x)["loss"].backward()
        optimizer.step()
    return n_batches * 128 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist", args.data_root)
    root = torchvision_root(Path(args.data_root))
    conv_config = {"latent_dim": 16, "fc_hidden": 256}
    setups = {
        "dense VAE 784-400-20": (ExamplesVAE, examples_loss, "vae", {"latent_dim": 20, "hidden": (400,)}),
        "conv VAE (aelib conv_vae)": (
            lambda: build_model("conv_vae", **conv_config),
            lambda m, x: m.loss(x)["loss"],
            "conv_vae",
            conv_config,
        ),
    }
    results = {}
    for title, (model_fn, loss_fn, name, config) in setups.items():
        n = args.batches if name == "vae" else max(20, args.batches // 4)
        runs = {"reference": [], "aelib": [], "ceiling": []}
        for _ in range(args.rounds):
            torch.manual_seed(0)
            runs["reference"].append(reference_loop(model_fn, loss_fn, root, n))
            runs["aelib"].append(aelib_loop(name, config, data, n))
            runs["ceiling"].append(ceiling_loop(name, config, data, n))
        medians = {k: statistics.median(v) for k, v in runs.items()}
        results[title] = {
            **{f"{k}_images_per_s": round(v, 1) for k, v in medians.items()},
            "aelib_vs_reference": round(medians["aelib"] / medians["reference"], 3),
            "aelib_vs_ceiling": round(medians["aelib"] / medians["ceiling"], 3),
            "batches": n,
        }
    print(f"{'setup':28s} {'reference':>10s} {'aelib':>10s} {'ceiling':>10s} {'aelib/ref':>10s} {'aelib/ceil':>10s}")
    for title, r in results.items():
        print(
            f"{title:28s} {r['reference_images_per_s']:10.0f} {r['aelib_images_per_s']:10.0f} "
            f"{r['ceiling_images_per_s']:10.0f} {r['aelib_vs_reference']:10.2f} {r['aelib_vs_ceiling']:10.2f}"
        )
    print("targets: aelib/ref >= 1.5, aelib/ceil >= 0.90 (images per second, medians of interleaved rounds)")
    shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({"benchmark": "train_speed", "threads": args.threads, "rounds": args.rounds, **results}))


if __name__ == "__main__":
    main()
