"""Training throughput: aelib's loop vs a faithful pytorch/examples VAE loop vs pure compute;
or, with --processes, aelib's loop in 1, 2, ... DistributedDataParallel processes.

    python benchmarks/train_speed.py --data-root ../shared/data [--batches 150] [--rounds 3]
    python benchmarks/train_speed.py --processes 1,2 [--dataset mnist|digits] [--batches 60]

Runs are interleaved (reference, aelib, ceiling, reference, ...) so machine noise hits all three
alike; the table gives medians and ratios, the last line is one JSON object.

--processes: for each count, that many processes (gloo on the CPU, NCCL on GPUs) train one epoch
of --batches global batches of 128 with fit(), --rounds times; images per second counts all
processes together. On the CPU the processes share --threads (2 threads: 1 process x 2 threads,
then 2 processes x 1 thread). When CUDA is available, the same on 1, 2, ... GPUs (as many as exist).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
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
from aelib.training import distributed


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


DDP_SETUPS = {
    "dense VAE 784-400-20": ("vae", {"latent_dim": 20, "hidden": (400,)}),
    "conv VAE (aelib conv_vae)": ("conv_vae", {"latent_dim": 16, "fc_hidden": 256}),
}


def ddp_rank(rank: int, world: int, port: int, device: str, args, result_file: str) -> None:
    """One process of a torchrun-like launch: train DDP_SETUPS with fit(); rank 0 writes the rates."""
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    threads = max(1, args.threads // world) if device == "cpu" else 1
    torch.set_num_threads(threads)
    distributed.start(device)
    data = load_dataset(args.dataset, args.data_root)
    rates = {"threads_per_process": threads}
    for title, (name, config) in DDP_SETUPS.items():
        n = args.batches if name == "vae" else max(20, args.batches // 4)
        for batches in (3, n):  # the first run warms up (first calls of each kernel are slow)
            train = TrainConfig(epochs=1, batch_size=128, max_train=batches * 128 + 1, val_fraction=0.0, device=device)
            torch.manual_seed(0)
            model = build_model(name, image_shape=data.image_shape, **config)
            steps = []  # fewer than asked for when the data set is small (digits: 11 batches)
            seconds = fit(model, data, train, on_batch=lambda *_, steps=steps: steps.append(1)).history[0]["seconds"]
        rates[title] = {"images_per_s": len(steps) * 128 / seconds, "batches": len(steps)}  # + a 1-image validation
    if distributed.is_main():
        Path(result_file).write_text(json.dumps(rates))
    distributed.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_processes(args) -> None:
    """Launch each (device, process count) once per round, rounds interleaved; report medians."""
    import torch.multiprocessing as mp

    counts = [int(v) for v in args.processes.split(",")]
    runs = [("cpu", n) for n in counts]
    if torch.cuda.is_available():
        runs += [("cuda", n) for n in counts if n <= torch.cuda.device_count()]
    measured = {run: [] for run in runs}
    for _ in range(args.rounds):
        for device, world in runs:
            with tempfile.TemporaryDirectory() as folder:
                result_file = str(Path(folder) / "rates.json")
                mp.start_processes(
                    ddp_rank, args=(world, _free_port(), device, args, result_file), nprocs=world, start_method="spawn"
                )  # spawn: CUDA cannot be forked
                measured[device, world].append(json.loads(Path(result_file).read_text()))
    results = []
    for (device, world), rounds in measured.items():
        results.append(
            {
                "device": device,
                "processes": world,
                "threads_per_process": rounds[0]["threads_per_process"],
                **{
                    title: {
                        "images_per_s": round(statistics.median(r[title]["images_per_s"] for r in rounds), 1),
                        "batches": rounds[0][title]["batches"],
                    }
                    for title in DDP_SETUPS
                },
            }
        )
    print(
        f"{args.dataset}, global batch 128, images/s of all processes together, "
        f"medians of {args.rounds} interleaved rounds"
    )
    print(f"{'device':6s} {'processes':>9s} {'threads':>7s}" + "".join(f" {t:>26s}" for t in DDP_SETUPS))
    for r in results:
        print(
            f"{r['device']:6s} {r['processes']:9d} {r['threads_per_process']:7d}"
            + "".join(f" {r[t]['images_per_s']:26.0f}" for t in DDP_SETUPS)
        )
    print(
        json.dumps(
            {
                "benchmark": "train_speed_ddp",
                "dataset": args.dataset,
                "rounds": args.rounds,
                "cpu_threads_total": args.threads,
                "torch": torch.__version__,
                "runs": results,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (shared out with --processes)")
    parser.add_argument("--processes", default=None, help="e.g. 1,2: DistributedDataParallel throughput instead")
    parser.add_argument("--dataset", default="mnist", help="with --processes: mnist (from --data-root) or digits")
    args = parser.parse_args()
    if args.processes:
        return measure_processes(args)
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
