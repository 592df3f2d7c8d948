"""What an in-app training costs in memory (#27), in a process that already holds what a server
does (torch, the app's libraries, a loaded model and its exported decoder): resident memory before,
the peak while each training runs, and after. The first training also imports the code PyTorch's
optimizers load on first use; later ones show what a training itself needs. aelib.training.memory's
training_need_mb is checked against these numbers.

    python benchmarks/train_memory.py [--images 600] [--size 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openTSNE  # noqa: F401  (what a server that has shown every page has imported)
import pandas  # noqa: F401
import sklearn.ensemble  # noqa: F401
import torch
import torch.nn.functional as F

import latent_control
from aelib import TrainConfig, build_model, load_checkpoint, load_dataset
from aelib.datasets import ImageData
from aelib.training.memory import training_need_mb
from aelib.training.training_job import TrainingJob


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def trim() -> None:
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def digits(n_images: int, size: int) -> ImageData:
    data = load_dataset("digits")
    n_test = n_images // 10
    resize = (lambda x: x) if size == 8 else (lambda x: F.interpolate(x, size=(size, size), mode="bilinear"))
    x_train, x_test = resize(data.x_train[: n_images - n_test]), resize(data.x_test[:n_test])
    return ImageData("digits", x_train, x_test, data.y_train[: len(x_train)], data.y_test[:n_test], data.class_names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app's server runs
    torch.backends.mkldnn.enabled = False
    latent_control.decoder_asset(load_checkpoint(ROOT / "checkpoints" / "mnist_conv_vae.safetensors").model)
    data = digits(args.images, args.size)
    peak, done = [0.0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib())
            time.sleep(0.01)

    threading.Thread(target=watch, daemon=True).start()
    for repeat in range(args.repeats):
        model = build_model("conv_vae", image_shape=data.image_shape, latent_dim=8)
        need = training_need_mb(args.images, data.image_shape, sum(p.numel() for p in model.parameters()))
        trim()
        before = peak[0] = rss_mib()
        started = time.perf_counter()
        job = TrainingJob(model, data, TrainConfig(epochs=10, batch_size=64), alive=lambda: True).start()
        job.thread.join()
        trim()
        row = {
            "repeat": repeat + 1,
            "status": job.snapshot().status,
            "seconds": round(time.perf_counter() - started, 1),
        }
        row |= {"before_mib": round(before), "peak_added_mib": round(peak[0] - before)}
        row |= {"kept_after_mib": round(rss_mib() - before), "estimated_need_mib": round(need)}
        print(json.dumps(row), flush=True)
    done.set()


if __name__ == "__main__":
    main()
