"""The verdict on a face model: is this a face the model can represent, or no face at all?

    python benchmarks/face_verdict.py --data-root ../shared/data [--checkpoint PATH] [--n 60]

Faces: the Olivetti test images (the 40 the shipped model did not train on; its split is by
image, not by person, so every person was seen in other pictures: the held-out-person case is
not measurable with this checkpoint) and scikit-image's two portraits (astronaut; camera, a
small face in a wide shot). Non-faces: scikit-image's other photographs (whole and random crops),
Fashion-MNIST and MNIST test images, noise. Every file goes through inference.prepare_upload
and lab.explain_reconstruction as the app does. Prints the share called "no face found" per set
and the AUROC of faces against non-faces for the verdict's score (no face = above everything)
and for the reconstruction error alone. Last line JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from upload_verdict import PHOTOS, photographs, png

from aelib import AelibError, load_bundle, load_checkpoint, load_dataset
from aelib.explore.inference import prepare_upload
from aelib.explore.lab import explain_reconstruction, typicality_reference
from aelib.scoring.anomaly import roc

PORTRAITS = ("astronaut", "camera")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "olivetti_conv_vae.safetensors"))
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    checkpoint = load_checkpoint(args.checkpoint)
    model, bundle, dataset = checkpoint.model, load_bundle(args.checkpoint), checkpoint.header["dataset"]["name"]
    reference = typicality_reference(bundle)
    rng = np.random.default_rng(args.seed)
    from skimage import color, data

    faces = load_dataset(dataset, args.data_root)
    portraits = [
        color.rgb2gray(getattr(data, name)()) if name == "astronaut" else data.camera() / 255.0 for name in PORTRAITS
    ]
    photos = photographs(rng, names=[name for name in PHOTOS if name not in PORTRAITS])  # faceless, with crops
    mnist, fashion = load_dataset("mnist", args.data_root), load_dataset("fashion_mnist", args.data_root)
    groups = {
        "olivetti_test": list(faces.x_test[:, 0].numpy()),
        "portraits": portraits,
        "photos": photos,
        "fashion": list(fashion.x_test[rng.choice(len(fashion.x_test), args.n, replace=False), 0].numpy()),
        "mnist": list(mnist.x_test[rng.choice(len(mnist.x_test), args.n, replace=False), 0].numpy()),
        "noise": [rng.random((64, 64)) for _ in range(args.n // 2)],
    }
    rows = {}
    for name, images in groups.items():
        rows[name] = []
        for i, image in enumerate(images):
            try:
                prepared = prepare_upload(
                    png(np.asarray(image, np.float32)), f"{name}_{i}.png", dataset, model.config.image_shape
                )
            except AelibError:
                rows[name].append({"word": "refused", "score": np.inf, "mse": np.inf})
                continue
            out = explain_reconstruction(
                model, prepared["image"], bundle, reference=reference, evidence=prepared["evidence"]
            )
            typical = out["typicality"]
            rows[name].append({"word": typical["word"], "score": typical["score"], "mse": out["mse"]})
    is_face = {"olivetti_test": True, "portraits": True}
    table = {}
    print(f"{'set':15s} {'n':>4s} {'no face':>8s} {'typical':>8s} {'unusual':>8s} {'unlike':>8s}")
    for name, found in rows.items():
        words = [r["word"] for r in found]
        shares = {w: words.count(w) / len(words) for w in ("no_face", "typical", "unusual", "unlike")}
        table[name] = {"n": len(found), **{k: round(v, 3) for k, v in shares.items()}}
        print(f"{name:15s} {len(found):4d} " + " ".join(f"{v:8.1%}" for v in shares.values()))
    for key in ("score", "mse"):
        scores, truth = [], []
        for name, found in rows.items():
            for r in found:
                value = np.inf if r["word"] in ("no_face", "refused") else r[key]
                scores.append(value)
                truth.append(not is_face.get(name, False))  # positive = not a face
        scores = np.array(scores, float)
        finite = scores[np.isfinite(scores)]
        scores[~np.isfinite(scores)] = (finite.max() if len(finite) else 0) + 1
        auc = roc(scores, np.array(truth))[2]
        table[f"auroc_{key}"] = round(auc, 4)
        what = "verdict score" if key == "score" else "reconstruction error"
        print(f"AUROC faces vs non-faces, {what} (no face = highest): {auc:.3f}")
    print(json.dumps({"benchmark": "face_verdict", "checkpoint": Path(args.checkpoint).stem, **table}))


if __name__ == "__main__":
    main()
