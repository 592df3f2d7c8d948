"""`python -m aelib {models,datasets,train,eval,bundle,checkpoints,reconstruct,export-onnx,export-site}`.

User errors (unknown names, missing data, bad values, damaged files) print one line
starting with "error:" and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from .errors import AelibError


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text[:40]!r}") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected non-negative integers, got {text[:40]!r}")
    return values


def _widths(text: str) -> tuple[int, ...]:
    """Layer widths: 1 to 16 integers from 1 to 16,384."""
    values = _ints(text)
    if len(values) > 16 or not all(1 <= v <= 16_384 for v in values):
        raise argparse.ArgumentTypeError(f"layer widths must be 1 to 16 integers from 1 to 16384, got {text[:40]!r}")
    return values


def _int_at_least(low: int, high: int = 10**9):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def _number(low: float, strictly: bool = False):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text[:40]!r}") from None
        if not math.isfinite(value) or value < low or strictly and value == low:
            raise argparse.ArgumentTypeError(f"must be a finite number {'>' if strictly else '>='} {low}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def _key_value(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aelib", description="Autoencoder Lab library")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="list registered models")
    sub.add_parser("datasets", help="list registered datasets")
    _add_train(sub.add_parser("train", help="train a model and write a checkpoint"))
    _add_eval(sub.add_parser("eval", help="evaluate a checkpoint on its test set"))
    bundle = sub.add_parser("bundle", help="add an explorer bundle (sample, codes, PCA, t-SNE) to a checkpoint")
    bundle.add_argument("path")
    bundle.add_argument("--data-root", default="data")
    bundle.add_argument("--n-samples", type=_int_at_least(10, 100_000), default=2000)
    bundle.add_argument("--ood-dataset", default=None, help="also score this dataset's test images")
    bundle.add_argument("--grid", default=None, help="write a sample/reconstruction grid PNG here")
    bundle.add_argument(
        "--train-map",
        type=_int_at_least(0, 100_000),
        default=0,
        help="also encode up to this many training images for the latent map (a small data set: all of it)",
    )
    bundle.add_argument(
        "--label-head-only",
        action="store_true",
        help="only (re)train the bundle's label head (aelib.scoring.label_head); the other arrays stay",
    )
    ckpts = sub.add_parser("checkpoints", help="list shipped checkpoints")
    ckpts.add_argument("--dir", default=None)
    ckpts.add_argument("--json", action="store_true")
    ckpts.add_argument("--markdown", action="store_true", help="print the README's table of models")
    recon = sub.add_parser("reconstruct", help="reconstruct image files exactly as the app's Reconstruct page does")
    recon.add_argument("path", help="checkpoint")
    recon.add_argument("files", nargs="+")
    recon.add_argument("--json", action="store_true", help="one JSON object per file")
    recon.add_argument("--out", default=None, help="write each file's model input and reconstruction PNGs here")
    onnx = sub.add_parser("export-onnx", help="write a checkpoint's decoder as ONNX (what the app runs in the browser)")
    onnx.add_argument("path", help="checkpoint")
    onnx.add_argument("--out", default=None, help="output file (default: beside the checkpoint, .decoder.onnx)")
    site = sub.add_parser("export-site", help="write the explorer of image models as a static site (no server needed)")
    site.add_argument("paths", nargs="+", metavar="CHECKPOINT")
    site.add_argument("--out", required=True, help="output folder: new, empty, or an earlier export (replaced)")
    site.add_argument("--lab-url", default=None, help="the full lab's address, linked from every view of the site")
    return parser


def _add_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--data-root", default="data")
    p.add_argument("--download", action="store_true", help="let torchvision/scikit-learn download data")
    p.add_argument("--out", required=True)
    p.add_argument("--latent-dim", type=_int_at_least(1, 4096))
    p.add_argument("--beta", type=_number(0.0))
    p.add_argument("--likelihood", choices=["bernoulli", "gaussian"])
    p.add_argument("--hidden", type=_widths, help="dense layer widths, e.g. 512,256")
    p.add_argument("--channels", type=_widths, help="conv stage widths, e.g. 32,64")
    p.add_argument(
        "--set", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="any other model config field"
    )
    p.add_argument("--epochs", type=_int_at_least(1, 100_000), default=10)
    p.add_argument(
        "--batch-size", type=_int_at_least(1, 65_536), default=128, help="global batch, split over torchrun's processes"
    )
    p.add_argument("--lr", type=_number(0.0, strictly=True), default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kl-warmup", type=_int_at_least(0), default=0, help="epochs of linear KL warm-up")
    p.add_argument("--binarize", action="store_true", help="dynamic binarisation")
    p.add_argument("--denoise", default=None, help="gaussian:0.5 | salt_pepper:0.2 | masking:0.3")
    p.add_argument("--augment", action="store_true", help="random flips and 2-px shifts")
    p.add_argument("--keep-classes", type=_ints, default=None, help="train only on these labels")
    p.add_argument("--max-train", type=_int_at_least(0), default=0)
    p.add_argument(
        "--threads", type=_int_at_least(0, 1024), default=0, help="torch threads per process (0 = torch's choice)"
    )
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU) | cpu | cuda | mps")
    p.add_argument(
        "--amp",
        nargs="?",
        const="bf16",
        default=None,
        metavar="bf16|fp16",
        help="mixed-precision autocast on CUDA (bf16 when given without a value)",
    )
    p.add_argument("--resume", action="store_true", help="continue an unfinished run at --out")
    p.add_argument("--no-progress", action="store_true")


def _add_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--data-root", default="data")
    p.add_argument("--n-test", type=_int_at_least(0), default=0, help="evaluate on the first N test images (0 = all)")
    p.add_argument(
        "--iw-samples", type=_int_at_least(1, 100_000), default=100, help="k for the importance-weighted NLL"
    )
    p.add_argument("--no-probe", action="store_true", help="skip the linear probes")
    p.add_argument("--save", action="store_true", help="store the metrics in the checkpoint's card")
    p.add_argument("--json", action="store_true")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import commands  # deferred: `--help` should not import torch

    try:
        return getattr(commands, f"cmd_{args.command.replace('-', '_')}")(args) or 0
    except (AelibError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # no traceback for anything a user's file or flag provokes
        if os.environ.get("AELIB_DEBUG") == "1":
            raise
        print(f"error: {type(exc).__name__}: {str(exc)[:300]} (AELIB_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
