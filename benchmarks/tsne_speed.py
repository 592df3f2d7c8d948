"""t-SNE for the latent map: openTSNE (what aelib uses) vs scikit-learn's TSNE, same codes, same run.

    python benchmarks/tsne_speed.py --data-root ../shared/data [--sizes 2000 5000 10000]

Codes are the shipped MNIST conv_vae's posterior means of MNIST test digits. Quality is the
5-nearest-neighbour label accuracy in the 2-D map (higher = classes better kept apart).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aelib import load_checkpoint, load_dataset
from aelib.explore.latent import tsne
from aelib.scoring.evaluate import encode_all


def knn_accuracy(embedding: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    return float(cross_val_score(KNeighborsClassifier(5), embedding, labels, cv=3).mean())


def sklearn_tsne(codes: np.ndarray) -> np.ndarray:
    from sklearn.manifold import TSNE

    return TSNE(perplexity=30, random_state=0, n_jobs=2, init="pca").fit_transform(codes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "mnist_conv_vae.safetensors"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000])
    args = parser.parse_args()
    model = load_checkpoint(args.checkpoint).model
    data = load_dataset("mnist", args.data_root)
    codes = encode_all(model, data.x_test[: max(args.sizes)]).numpy().astype(np.float64)
    labels = data.y_test[: max(args.sizes)].numpy()
    rows = []
    for n in args.sizes:
        row = {"n": n}
        for name, fn in (("openTSNE", lambda c: tsne(c, n_jobs=2)), ("sklearn", sklearn_tsne)):
            started = time.perf_counter()
            embedding = fn(codes[:n])
            row[f"{name}_s"] = round(time.perf_counter() - started, 2)
            row[f"{name}_knn_acc"] = round(knn_accuracy(embedding, labels[:n]), 4)
        row["speedup"] = round(row["sklearn_s"] / row["openTSNE_s"], 2)
        rows.append(row)
        print(
            f"n={n:6d}  openTSNE {row['openTSNE_s']:7.1f} s (kNN acc {row['openTSNE_knn_acc']:.3f})   "
            f"sklearn {row['sklearn_s']:7.1f} s (kNN acc {row['sklearn_knn_acc']:.3f})   "
            f"speed-up {row['speedup']:.2f}x",
            flush=True,
        )
    print(json.dumps({"benchmark": "tsne_speed", "threads": 2, "rows": rows}))


if __name__ == "__main__":
    main()
