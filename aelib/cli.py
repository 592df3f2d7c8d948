"""`python -m aelib {models,datasets,train,eval,bundle,checkpoints,reconstruct}`.

User errors (unknown names, missing data, bad values, damaged files) print one line
starting with "error:" and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import AelibError


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


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
    bundle.add_argument("--n-samples", type=int, default=2000)
    bundle.add_argument("--ood-dataset", default=None, help="also score this dataset's test images")
    bundle.add_argument("--grid", default=None, help="write a sample/reconstruction grid PNG here")
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
    return parser


def _add_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--data-root", default="data")
    p.add_argument("--download", action="store_true", help="let torchvision/scikit-learn download data")
    p.add_argument("--out", required=True)
    p.add_argument("--latent-dim", type=int)
    p.add_argument("--beta", type=float)
    p.add_argument("--likelihood", choices=["bernoulli", "gaussian"])
    p.add_argument("--hidden", type=_ints, help="dense layer widths, e.g. 512,256")
    p.add_argument("--channels", type=_ints, help="conv stage widths, e.g. 32,64")
    p.add_argument(
        "--set", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="any other model config field"
    )
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128, help="global batch, split over torchrun's processes")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kl-warmup", type=int, default=0, help="epochs of linear KL warm-up")
    p.add_argument("--binarize", action="store_true", help="dynamic binarisation")
    p.add_argument("--denoise", default=None, help="gaussian:0.5 | salt_pepper:0.2 | masking:0.3")
    p.add_argument("--augment", action="store_true", help="random flips and 2-px shifts")
    p.add_argument("--keep-classes", type=_ints, default=None, help="train only on these labels")
    p.add_argument("--max-train", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads per process (0 = torch's choice)")
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
    p.add_argument("--n-test", type=int, default=0, help="evaluate on the first N test images (0 = all)")
    p.add_argument("--iw-samples", type=int, default=100, help="k for the importance-weighted NLL")
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
