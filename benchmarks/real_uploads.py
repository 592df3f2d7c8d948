"""Uploads as users make them: how often the Reconstruct page's pipeline gets a digit right.

    python benchmarks/real_uploads.py [--data-root ../shared/data] [--per-kind 60] [--folder DIR]

MNIST test digits (not in the checkpoint's bundle) are turned into files like users upload:
"mnist" (the digit itself), "drawing" (thick black strokes on white, as from a paint program),
"scan" (grey paper, even light), "white_on_dark" (chalk on a dark board) and "phone" (1000-2000 px
photos: a thin blue or black pen line, paper texture, a lighting gradient and a shadow, JPEG,
ruled lines, stray marks, part of a neighbouring digit, and a third stored sideways with an EXIF
orientation tag). --folder adds your own labelled images (label = first digit in the file name).
Each file goes through exactly what the page calls (inference.prepare_upload, then
lab.explain_reconstruction); a hit is when the label it reports (nearest_label: the bundle's label
head, aelib.scoring.label_head, else the majority of the 5 nearest test codes) is the true label.
Prints accuracy, median error percentile and the share called typical per kind; last line JSON.
Without --data-root the bundle's own digits are used (their own code excluded from the
neighbours), which is what the tests run.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aelib import AelibError, load_bundle, load_checkpoint
from aelib.explore.inference import prepare_upload
from aelib.explore.lab import explain_reconstruction, typicality_reference

sys.path.insert(0, str(ROOT / "benchmarks"))
import hard_uploads

KINDS = ("mnist", "drawing", "scan", "white_on_dark", "phone", *hard_uploads.MAKERS)


def pen_strokes(digit: np.ndarray, height: int, pen: float) -> np.ndarray:
    """A 28x28 digit redrawn `height` px tall with a pen `pen` px wide: (height, height) bool."""
    from scipy import ndimage
    from skimage.morphology import skeletonize

    big = np.asarray(Image.fromarray((digit * 255).astype(np.uint8)).resize((height, height), Image.BICUBIC)) / 255
    return ndimage.distance_transform_edt(~skeletonize(big > 0.5)) <= pen / 2


def encode(rgb: np.ndarray, fmt: str = "PNG", quality: int = 90, orientation: int = 1) -> bytes:
    image = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.save(buffer, format=fmt, quality=quality, exif=exif.tobytes() if orientation != 1 else b"")
    return buffer.getvalue()


def paper(shape, rng, tint=(0.92, 0.91, 0.87)) -> np.ndarray:
    from scipy import ndimage

    texture = ndimage.gaussian_filter(rng.normal(0, 0.04, shape), 1.5)[..., None]
    return np.clip(np.array(tint) * rng.uniform(0.85, 1.0) + texture, 0, 1)


def place(canvas: np.ndarray, mask: np.ndarray, colour, top: int, left: int) -> None:
    h, w = mask.shape
    region = canvas[top : top + h, left : left + w]
    region[mask[: region.shape[0], : region.shape[1]]] = colour


def phone_photo(digit: np.ndarray, rng: np.random.Generator, neighbour: np.ndarray | None = None) -> bytes:
    """A phone photo of `digit` written with a pen on paper; see the module docstring."""
    from scipy import ndimage

    h, w = int(rng.integers(900, 1600)), int(rng.integers(1000, 2000))
    canvas = paper((h, w), rng)
    if rng.random() < 0.5:  # ruled paper
        spacing = int(rng.integers(50, 90))
        rows = slice(int(rng.integers(0, spacing)), None, spacing)
        canvas[rows] = canvas[rows] * 0.75 + np.array([0.55, 0.7, 0.9]) * 0.25
    size = int(rng.integers(int(0.35 * min(h, w)), int(0.6 * min(h, w))))
    ink = np.array([0.1, 0.15, 0.55]) if rng.random() < 0.5 else np.array([0.12, 0.12, 0.14])
    strokes = pen_strokes(digit, size, rng.uniform(1.5, 5.0))
    top, left = (
        int(rng.integers(0, h - size)),
        int(rng.integers(min(w // 5, w - size - 1), max(w // 5, w - size - w // 5) + 1)),
    )
    place(canvas, strokes, ink, top, left)
    if neighbour is not None and rng.random() < 0.4:  # part of the next digit at the frame's edge
        other = pen_strokes(neighbour, size, rng.uniform(1.5, 4.0))
        place(canvas, other[:, : int(size * rng.uniform(0.3, 0.5))], ink, top, 0)
    if rng.random() < 0.5:  # a stray mark away from the digit
        y, x = int(rng.integers(0, h - 40)), int(rng.integers(0, max(1, left - 60))) if left > 100 else w - 50
        canvas[y : y + 3, x : x + 40] = ink
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0.1, 0.35) * ((np.cos(angle) * xx + np.sin(angle) * yy) % 1.0)
    shadow_edge = ndimage.gaussian_filter(
        (xx * rng.uniform(-1, 1) + yy * rng.uniform(0.5, 1.5) > rng.uniform(0.4, 1.0)).astype(float), 25
    )
    light *= 1 - rng.uniform(0.2, 0.45) * shadow_edge
    photo = canvas * light[..., None]
    orientation = 1
    if rng.random() < 0.33:  # stored sideways, as phones do, with the tag that says so
        orientation = int(rng.choice([6, 8]))
        photo = np.rot90(photo, 1 if orientation == 6 else -1)
    return encode(photo, "JPEG", int(rng.integers(60, 90)), orientation)


def simple_file(digit: np.ndarray, kind: str, rng: np.random.Generator) -> bytes:
    if kind == "mnist":
        return encode(np.repeat(digit[..., None], 3, -1))
    size = int(rng.integers(200, 500))
    if kind == "drawing":
        canvas = np.ones((size + 80, size + 80, 3))
        place(canvas, pen_strokes(digit, size, size / 14), np.zeros(3), 40, 40)
        return encode(canvas)
    if kind == "white_on_dark":
        canvas = np.full((size + 80, size + 80, 3), rng.uniform(0.05, 0.25))
        place(canvas, pen_strokes(digit, size, size / 20), np.full(3, rng.uniform(0.8, 1.0)), 40, 40)
        return encode(canvas, "JPEG", 85)
    canvas = paper((size + 120, size + 120), rng, tint=(0.85, 0.85, 0.85))  # scan
    place(canvas, pen_strokes(digit, size, rng.uniform(3, 7)), np.full(3, 0.15), 60, 60)
    return encode(canvas, "JPEG", 80)


def make_upload(digit: np.ndarray, kind: str, rng: np.random.Generator, neighbour=None) -> bytes:
    if kind in hard_uploads.MAKERS:
        return hard_uploads.MAKERS[kind](digit, rng, neighbour)
    return phone_photo(digit, rng, neighbour) if kind == "phone" else simple_file(digit, kind, rng)


def score(model, bundle, data: bytes, name: str, label: int, exclude: int | None = None, reference=None) -> dict:
    """What the page shows for one file: hit (nearest_label = label)."""
    try:
        prepared = prepare_upload(data, name, "mnist", model.config.image_shape)
    except AelibError as exc:
        return {"hit": False, "refused": str(exc)}
    view = (
        bundle
        if exclude is None
        else dataclasses.replace(
            bundle, **{k: np.delete(getattr(bundle, k), exclude, 0) for k in ("codes", "labels", "images", "score")}
        )
    )
    out = explain_reconstruction(
        model,
        prepared["image"],
        view,
        reference=reference if exclude is None else None,
        evidence=prepared["evidence"],  # as the Reconstruct page does: the verdict judges the upload
    )
    typical = out["typicality"]
    return {
        "hit": out["nearest_label"] == label,
        "error_percentile": typical["error_percentile"],
        "typical": typical.get("word", "typical" if typical["typical"] else "unlike") == "typical",
    }


def summarise(rows: list[dict]) -> dict:
    """Accuracy, refusals, median error percentile, the share called typical, and the accuracy
    among those called typical (a verdict worth trusting makes this higher than the accuracy)."""
    typical = [r["hit"] for r in rows if r.get("typical", False)]
    return {
        "n": len(rows),
        "accuracy": round(float(np.mean([r["hit"] for r in rows])), 3),
        "refused": sum("refused" in r for r in rows),
        "median_error_percentile": round(float(np.median([r.get("error_percentile", 100) for r in rows])), 1),
        "typical": round(float(np.mean([r.get("typical", False) for r in rows])), 3),
        "accuracy_if_typical": round(float(np.mean(typical)), 3) if typical else None,
    }


def run(checkpoint: str, per_kind: int, data_root: str | None, folder: str | None, seed: int = 0, kinds=KINDS) -> dict:
    model, bundle = load_checkpoint(checkpoint).model, load_bundle(checkpoint)
    reference = typicality_reference(bundle)  # once, not per file
    rng = np.random.default_rng(seed)
    if data_root:
        from aelib import load_dataset

        mnist = load_dataset("mnist", data_root)
        unused = np.setdiff1d(np.arange(len(mnist.x_test)), bundle.test_index)
        pick = rng.choice(unused, per_kind * 2, replace=False)
        digits, labels, exclude = mnist.x_test[pick, 0].numpy(), mnist.y_test[pick].numpy(), [None] * len(pick)
    else:
        pick = rng.choice(len(bundle.images), per_kind * 2, replace=False)
        digits, labels, exclude = bundle.images[pick, 0] / 255.0, bundle.labels[pick], list(pick)
    results = {}
    for kind in kinds:
        rows = [
            score(
                model,
                bundle,
                make_upload(digits[i], kind, rng, digits[i + per_kind]),
                f"{kind}_{i}.png",
                int(labels[i]),
                exclude[i],
                reference,
            )
            for i in range(per_kind)
        ]
        results[kind] = summarise(rows)
    if "mnist" in results and data_root:  # the same digits without a file or the pipeline: the label's own limit
        from aelib.explore.inference import encode, nearest

        codes = encode(model, digits[:per_kind].astype(np.float32))
        head = bundle.label_head
        raw = [
            np.argmax(np.bincount(bundle.labels[nearest(bundle.codes, c)])) if head is None else head.read(c)
            for c in codes
        ]
        results["mnist"]["raw_accuracy"] = round(float(np.mean(np.array(raw) == labels[:per_kind])), 3)
    if folder:
        files = [p for p in sorted(Path(folder).iterdir()) if re.search(r"\d", p.name)]
        rows = [
            score(model, bundle, p.read_bytes(), p.name, int(re.search(r"\d", p.name).group()), None, reference)
            for p in files
        ]
        results["your_folder"] = summarise(rows)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "mnist_conv_ae.safetensors"))
    parser.add_argument("--data-root", default=None, help="MNIST here (idx files); else the bundle's digits")
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--folder", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    args = parser.parse_args()
    results = run(args.checkpoint, args.per_kind, args.data_root, args.folder, args.seed, tuple(args.kinds))
    print(f"{'kind':15s} {'n':>4s} {'label acc':>9s} {'refused':>8s} {'err pct':>8s} {'typical':>8s} {'acc|typ':>8s}")
    for kind, r in results.items():
        if_typical = "-" if r["accuracy_if_typical"] is None else f"{r['accuracy_if_typical']:.1%}"
        print(
            f"{kind:15s} {r['n']:4d} {r['accuracy']:9.1%} {r['refused']:8d} {r['median_error_percentile']:8.1f} "
            f"{r['typical']:8.1%} {if_typical:>8s}"
        )
    if "raw_accuracy" in results.get("mnist", {}):
        print(f"mnist raw (the test digits themselves, no file, no pipeline): {results['mnist']['raw_accuracy']:.1%}")
    print(
        json.dumps(
            {
                "benchmark": "real_uploads",
                "checkpoint": Path(args.checkpoint).stem,
                "data": "mnist test (not in bundle)" if args.data_root else "bundle digits",
                **results,
            }
        )
    )


if __name__ == "__main__":
    main()
