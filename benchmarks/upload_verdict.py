"""How honest is the verdict on an upload? AUROC of each candidate score, MNIST test digits
(positives = everything else) through the upload pipeline exactly as a user's files go.

    python benchmarks/upload_verdict.py --data-root ../shared/data [--n 300] [--checkpoint PATH]

Sets (each encoded as a PNG file and passed through inference.prepare_upload, then
lab.explain_reconstruction): MNIST test digits not in the bundle; Fashion-MNIST test images;
Olivetti faces; scikit-image's photographs (skimage.data, whole and random crops); MNIST digits
flipped left-right and rotated by 90 degrees (only 2-7 and 9, whose flips are not digits; the
all-class numbers are printed too); uniform and blurred noise. A refused file ("no ink found")
scores +inf (it was not taken for a digit). Scores compared (higher = less like the training data):
  error      reconstruction MSE (what the old verdict's error percentile ranks);
  knn        mean distance of the code to its 5 nearest test codes (the old ood percentile);
  old        the old verdict's score: max of those two percentiles;
  mahalanobis  the code's Mahalanobis distance to the bundle's test codes (shrunk covariance);
  elbo       for VAEs, the negative ELBO (reconstruction term + KL), in nats;
  verdict    the score the verdict uses now (lab.typicality "score"), when there is one.
Also the share of each set the verdict calls typical / unusual / unlike. Last line JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aelib import AelibError, load_bundle, load_checkpoint, load_dataset
from aelib.explore.inference import prepare_upload, to_model_input
from aelib.explore.lab import explain_reconstruction, knn_distances, typicality_reference
from aelib.scoring.anomaly import roc

PHOTOS = (
    "astronaut",
    "brick",
    "camera",
    "cat",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "logo",
    "microaneurysms",
    "moon",
    "page",
    "retina",
    "rocket",
    "text",
)
ASYMMETRIC = (2, 3, 4, 5, 6, 7, 9)  # a flipped or rotated 0, 1 or 8 is still (nearly) a digit


def png(gray: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((np.clip(gray, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def photographs(rng: np.random.Generator, crops: int = 4, names=PHOTOS) -> list[np.ndarray]:
    """scikit-image's bundled photographs in grey, whole and `crops` random crops of each (a
    third to two thirds of the side): a user's non-digit photos at several framings."""
    from skimage import color, data

    out = []
    for name in names:
        try:
            image = getattr(data, name)()
        except Exception:
            continue
        image = np.asarray(image, np.float32)
        image = image / 255.0 if image.max() > 1 else image
        if image.ndim == 3:
            image = color.rgb2gray(image[..., :3])
        out.append(image)
        h, w = image.shape
        for _ in range(crops):
            side = int(rng.uniform(0.33, 0.67) * min(h, w))
            top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            out.append(image[top : top + side, left : left + side])
    return out


def sets(data_root: str, bundle, n: int, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """name -> list of (H, W) images in [0, 1]; and the MNIST digits' labels."""
    from scipy import ndimage

    mnist, fashion = load_dataset("mnist", data_root), load_dataset("fashion_mnist", data_root)
    unused = np.setdiff1d(np.arange(len(mnist.x_test)), bundle.test_index)
    pick = rng.choice(unused, 2 * n, replace=False)
    digits, labels = mnist.x_test[pick[:n], 0].numpy(), mnist.y_test[pick[:n]].numpy()
    others, other_labels = mnist.x_test[pick[n:], 0].numpy(), mnist.y_test[pick[n:]].numpy()
    asym = others[np.isin(other_labels, ASYMMETRIC)]
    faces = load_dataset("olivetti", data_root)
    olivetti = torch.cat([faces.x_train, faces.x_test])[:, 0].numpy()
    noise = [rng.random((28, 28)) for _ in range(n // 2)]  # white noise, then smooth blobs
    noise += [
        np.clip(0.5 + 3 * ndimage.gaussian_filter(rng.normal(0, 1, (28, 28)), 2), 0, 1) for _ in range(n - n // 2)
    ]
    return {
        "mnist": list(digits),
        "fashion": list(fashion.x_test[rng.choice(len(fashion.x_test), n, replace=False), 0].numpy()),
        "olivetti": list(olivetti[rng.choice(len(olivetti), min(n, len(olivetti)), replace=False)]),
        "photos": photographs(rng),
        "flipped": [d[:, ::-1] for d in asym],
        "rotated": [np.rot90(d) for d in asym],
        "flipped_all": [d[:, ::-1] for d in others],
        "rotated_all": [np.rot90(d) for d in others],
        "noise": noise,
    }, labels


@torch.no_grad()
def negative_elbo(model, image: np.ndarray) -> float:
    """-ELBO of one model input (H, W) in nats: reconstruction term at the posterior mean + KL."""
    from aelib.models.base import kl_per_dim

    x = to_model_input(image[None], model.config.image_shape)
    mu, logvar = model.posterior(x)
    return float(model.recon_loss(model.decode_logits(mu), x)[0] + kl_per_dim(mu, logvar).sum())


class Scorer:
    """Every candidate score for one image, against one checkpoint's bundle."""

    def __init__(self, checkpoint: str):
        self.model, self.bundle = load_checkpoint(checkpoint).model, load_bundle(checkpoint)
        self.dataset = load_checkpoint(checkpoint).header["dataset"]["name"]
        self.reference = typicality_reference(self.bundle)
        codes = self.bundle.codes.astype(np.float64)
        self.mean = codes.mean(0)
        cov = np.cov(codes, rowvar=False).reshape(codes.shape[1], codes.shape[1])
        cov = 0.95 * cov + 0.05 * np.trace(cov) / len(cov) * np.eye(len(cov))  # shrunk: 2,000 codes
        self.precision = np.linalg.inv(cov)
        self.knn = knn_distances(self.bundle.codes, 5)

    def __call__(self, gray: np.ndarray, name: str) -> dict:
        try:
            prepared = prepare_upload(png(gray), name, self.dataset, self.model.config.image_shape)
        except AelibError:
            return {"refused": True}
        evidence = prepared.get("evidence")
        kwargs = {"evidence": evidence} if evidence is not None else {}
        out = explain_reconstruction(self.model, prepared["image"], self.bundle, reference=self.reference, **kwargs)
        typical, code = out["typicality"], out["code"].astype(np.float64)
        centred = code - self.mean
        row = {
            "error": out["mse"],
            "knn": float(np.sort(np.linalg.norm(self.bundle.codes - code, axis=1))[:5].mean()),
            "old": max(typical["error_percentile"], typical["ood_percentile"]),
            "mahalanobis": float(np.sqrt(centred @ self.precision @ centred)),
            "word": typical.get("word", "typical" if typical["typical"] else "unlike"),
            "kept": (evidence or {}).get("kept_share", 1.0),
            "fill": (evidence or {}).get("fill"),
            "thickness": (evidence or {}).get("thickness"),
            "label": out.get("nearest_label"),
        }
        if "score" in typical:
            row["verdict"] = typical["score"]
        if self.model.is_variational:
            row["elbo"] = negative_elbo(self.model, prepared["image"])
        return row


def auroc(normal: list[dict], other: list[dict], key: str) -> float | None:
    if not normal or not other or any(key not in r and "refused" not in r for r in normal + other):
        return None
    scores = [np.inf if "refused" in r else r[key] for r in normal + other]
    finite = np.array([s for s in scores if np.isfinite(s)] or [0.0])
    scores = np.where(np.isfinite(scores), scores, finite.max() + 1)  # refused: above everything
    truth = np.r_[np.zeros(len(normal), bool), np.ones(len(other), bool)]
    return roc(scores, truth)[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "mnist_conv_ae.safetensors"))
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dump", default=None, help="write every file's scores here (JSON), for analysis")
    args = parser.parse_args()
    scorer = Scorer(args.checkpoint)
    rng = np.random.default_rng(args.seed)
    groups, labels = sets(args.data_root, scorer.bundle, args.n, rng)
    rows = {
        name: [scorer(g.astype(np.float32), f"{name}_{i}.png") for i, g in enumerate(images)]
        for name, images in groups.items()
    }
    if args.dump:
        Path(args.dump).write_text(
            json.dumps({k: [{**r, "label": r.get("label")} for r in v] for k, v in rows.items()})
        )
    keys = ["error", "knn", "old", "mahalanobis", "elbo", "verdict"]
    table = {}
    print(f"{'MNIST vs':12s} {'n':>4s} " + " ".join(f"{k:>11s}" for k in keys) + "  typical unusual  unlike refused")
    for name, found in rows.items():
        words = [r.get("word", "refused") if "refused" not in r else "refused" for r in found]
        shares = {w: round(words.count(w) / max(len(words), 1), 3) for w in ("typical", "unusual", "unlike", "refused")}
        table[name] = {"n": len(found), **{k: auroc(rows["mnist"], found, k) for k in keys}, **shares}
        cells = " ".join(f"{'-' if table[name][k] is None else f'{table[name][k]:.3f}':>11s}" for k in keys)
        print(f"{name:12s} {len(found):4d} {cells}  " + " ".join(f"{shares[w]:7.1%}" for w in shares))
    hits = [r.get("label") == int(y) for r, y in zip(rows["mnist"], labels, strict=True)]
    called = [r.get("word") for r in rows["mnist"]]
    for word in ("typical", "unusual", "unlike"):
        picked = [h for h, c in zip(hits, called, strict=True) if c == word]
        if picked:
            print(f"MNIST called {word}: {len(picked)}, label accuracy {np.mean(picked):.1%}")
    print(json.dumps({"benchmark": "upload_verdict", "checkpoint": Path(args.checkpoint).stem, **table}))


if __name__ == "__main__":
    main()
