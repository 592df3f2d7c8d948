"""The CLI's commands: each takes parsed args, prints, and returns an exit status."""

from __future__ import annotations

import json
import os
import time
from dataclasses import MISSING, asdict, fields
from pathlib import Path

from . import models  # noqa: F401  (registers models)
from .datasets import keep_classes, list_datasets, load_dataset
from .errors import AelibError
from .io import checks
from .io.checkpoint import (
    load_checkpoint,
    read_header,
    read_optimizer_state,
    save_checkpoint,
    update_checkpoint,
)
from .registry import MODELS, build_model, get_model_class
from .training import distributed
from .training.train import TrainConfig, TrainState, fit


def cmd_models(args) -> int:
    for name, cls in sorted(MODELS.items()):
        doc = (cls.__doc__ or cls.__mro__[1].__doc__ or "").strip().splitlines()[0]
        kind = "VAE" if cls.is_variational else "AE"
        print(f"{name:12s} {kind:4s} {doc}")
    return 0


def cmd_datasets(args) -> int:
    for name, doc in list_datasets().items():
        print(f"{name:14s} {doc}")
    return 0


def model_config_from_args(args, data) -> dict:
    cls = get_model_class(args.model)
    config = {"image_shape": list(data.image_shape)}
    if cls.is_conditional:
        if not data.n_classes:
            raise AelibError(f"{args.model} needs labels, and dataset {data.name} has none")
        config["n_classes"] = data.n_classes
    flags = {
        "latent_dim": args.latent_dim,
        "beta": args.beta,
        "likelihood": args.likelihood,
        "hidden": args.hidden,
        "channels": args.channels,
    }
    config.update({k: v for k, v in flags.items() if v is not None})
    config.update(dict(args.set))
    defaults = {f.name: f.default for f in fields(cls.Config) if f.default is not MISSING}
    settings = {**defaults, **config}
    checks.check_config(
        {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}, "the model's settings"
    )
    return config


def dataset_info(data, args) -> dict:
    return {**data.card(), "keep_classes": list(args.keep_classes) if args.keep_classes else None}


def cmd_train(args) -> int:
    device = distributed.choose_device(args.device)
    distributed.check_amp(args.amp, device)
    joined = distributed.start(device)  # torchrun's process group; nothing in a plain run
    try:
        return _train(args, device)
    finally:
        if joined:  # a group the caller set up is the caller's to end
            distributed.stop()


def _train(args, device: str) -> int:
    """Every rank runs this; only rank 0 prints and writes the checkpoint."""
    main = distributed.is_main()
    say = print if main else (lambda *_, **__: None)
    out = Path(args.out)
    if out.is_dir() or args.out.endswith(("/", os.sep)):  # refused before any data is read or trained
        raise AelibError(
            f"--out {args.out} is a folder; give the checkpoint's file name, e.g. {out / 'model.safetensors'}"
        )
    data = load_dataset(args.dataset, args.data_root, download=args.download)
    if args.keep_classes:
        data = keep_classes(data, list(args.keep_classes))
    train_config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        kl_warmup_epochs=args.kl_warmup,
        binarize=args.binarize,
        denoise=args.denoise,
        augment=args.augment,
        max_train=args.max_train,
        threads=args.threads,
        device=device,
        amp=args.amp,
    )
    # Rank 0 alone reads the checkpoint to resume and hands model and state to the others, so
    # machines without a shared disk still start from the same epoch and optimizer state.
    model, state = distributed.broadcast_object(_start_or_resume(args, data, out) if main else None)
    if state.epoch >= args.epochs:
        say(f"{out} already has {state.epoch} epochs (>= --epochs {args.epochs}); nothing to do")
        return 0
    header = {
        "dataset": dataset_info(data, args),
        "train_config": asdict(train_config),
        "distributed": distributed.describe(device, args.amp),
    }
    if state.epoch and main:  # resumed: keep every segment's settings (e.g. a lower learning rate later on)
        previous = read_header(out)
        segments = previous.get("train_segments") or [{**previous["train_config"], "epochs": previous["epoch"]}]
        header["train_segments"] = [*segments, asdict(train_config)]

    def save(complete: bool) -> None:
        save_checkpoint(
            out,
            model,
            {
                **header,
                "history": state.history,
                "epoch": state.epoch,
                "wall_time_s": round(state.wall_time_s, 2),
                "complete": complete,
            },
            optimizer_state=None if complete else state.optimizer,
        )

    def on_epoch(record: dict) -> None:
        shown = {k: round(v, 4) for k, v in record.items() if k.startswith("val_") or k == "train_loss"}
        print(f"epoch {record['epoch']:3d}  {record['seconds']:6.1f}s  {shown}", flush=True)
        save(complete=False)  # every epoch, with optimizer state, so --resume can continue

    n_params = sum(p.numel() for p in model.parameters())
    world = distributed.world_size()
    spread = f" x {world} processes ({distributed.backend()})" if world > 1 else ""
    say(
        f"training {args.model} ({n_params:,} parameters) on {data.name} {tuple(data.image_shape)}: "
        f"{len(data.x_train)} train images, epochs {state.epoch + 1}..{args.epochs}, {device}{spread}",
        flush=True,
    )
    fit(model, data, train_config, state=state, callback=on_epoch if main else None, progress=not args.no_progress)
    if main:
        save(complete=True)
    say(f"wrote {out} after {state.epoch} epochs, {state.wall_time_s:.1f}s of training")
    return 0


def _start_or_resume(args, data, out: Path) -> tuple:
    """(model, TrainState): the checkpoint at `out` with --resume, else a new model."""
    if args.resume and out.exists():
        header = read_header(out)
        if header.get("complete") and header["epoch"] < args.epochs:
            print(f"{out} is complete at {header['epoch']} epochs; training further (fresh optimizer state)")
        checkpoint = load_checkpoint(out)
        state = TrainState(
            epoch=header["epoch"],
            history=header["history"],
            optimizer=read_optimizer_state(out),
            wall_time_s=header["wall_time_s"],
        )
        return checkpoint.model, state
    return build_model(args.model, **model_config_from_args(args, data)), TrainState()


def _load_for_eval(path, data_root):
    checkpoint = load_checkpoint(path)
    header = checkpoint.header
    data = load_dataset(header["dataset"]["name"], data_root)
    return checkpoint, header, data


def cmd_eval(args) -> int:
    from .scoring.evaluate import evaluate, one_class_metrics

    checkpoint, header, data = _load_for_eval(args.path, args.data_root)
    metrics = evaluate(
        checkpoint.model,
        data,
        header.get("train_config"),
        n_test=args.n_test,
        iw_samples=args.iw_samples,
        probe=not args.no_probe,
    )
    keep = header["dataset"].get("keep_classes")
    if keep and data.y_test is not None:
        metrics.update(one_class_metrics(checkpoint.model, data, keep, args.n_test))
    for key, value in metrics.items():
        print(f"{key:20s} {value:.5g}" if isinstance(value, float) else f"{key:20s} {value}")
    if args.save:
        update_checkpoint(args.path, {"metrics": metrics})
        print(f"saved metrics into {args.path}")
    if args.json:
        print(json.dumps(metrics))
    return 0


def cmd_bundle(args) -> int:
    from .explore.inference import sample_grid
    from .io.build import build_bundle
    from .io.checkpoint import load_bundle
    from .preprocess.imaging import png_bytes, to_uint8, upscale
    from .scoring.label_head import fit_for, head_report
    from .training.noise import parse_noise

    checkpoint, header, data = _load_for_eval(args.path, args.data_root)
    ood = load_dataset(args.ood_dataset, args.data_root) if args.ood_dataset else None
    started = time.perf_counter()
    if args.label_head_only:  # an older checkpoint's bundle, as it is, plus the label head
        update_checkpoint(args.path, arrays=fit_for(checkpoint.model, data))
        print(f"label head: {head_report(load_bundle(args.path))} in {time.perf_counter() - started:.1f}s")
        return 0
    bundle = build_bundle(checkpoint.model, data, n_samples=args.n_samples, ood_data=ood, n_train_map=args.train_map)
    info = {"n_samples": len(bundle.codes), "ood_dataset": args.ood_dataset}
    update_checkpoint(args.path, {"bundle_info": info}, arrays=bundle.arrays())
    print(
        f"bundle: {', '.join(f'{k}{tuple(v.shape)}' for k, v in bundle.arrays().items())} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    print(f"label head: {head_report(bundle)}")
    if args.grid and data.kind == "image":
        noise = parse_noise(header.get("train_config", {}).get("denoise"))
        grid = sample_grid(checkpoint.model, data.x_test, data.y_test, noise=noise)
        Path(args.grid).write_bytes(png_bytes(upscale(to_uint8(grid), 3 * grid.shape[0])))  # crisp 3x pixels
        print(f"wrote {args.grid}")
    return 0


def cmd_checkpoints(args) -> int:
    from .io.zoo import list_checkpoints, markdown_table

    entries, errors = list_checkpoints(args.dir)
    if args.markdown:
        print(markdown_table(entries))
        return 0
    paths = [os.path.relpath(entry.path) for entry in entries]
    width = max(map(len, paths), default=0)  # the columns line up whatever the longest name
    for entry, path in zip(entries, paths, strict=True):
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in entry.metrics.items() if isinstance(v, float))
        print(f"{path:{width}s}  {entry.model:10s} {entry.dataset:14s} z={entry.latent_dim:<3d} {metrics}")
    for error in errors:
        print(f"unreadable: {error}")
    if args.json:
        # one flat object per checkpoint: its card's fields and metrics side by side
        flat = [{k: v for k, v in asdict(e).items() if k != "metrics"} | e.metrics for e in entries]
        print(json.dumps(flat))
    return 0


def cmd_export_onnx(args) -> int:
    from .io.onnx_export import decoder_onnx

    model = load_checkpoint(args.path).model
    out = Path(args.out or Path(args.path).with_suffix(".decoder.onnx"))
    out.write_bytes(decoder_onnx(model))
    inputs = "z (N, latent_dim)" + (", label (N,) int64" if model.is_conditional else "")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): inputs {inputs}; output image (N, C, H, W) in [0, 1]")
    return 0


def cmd_export_site(args) -> int:
    from .io.site import export_site, open_models

    written = export_site(open_models(args.paths), args.out, args.lab_url)
    for model_id, size in written["models"].items():
        print(f"{model_id}: {size / 1e6:.2f} MB")
    print(f"runtime and page: {written['shared'] / 1e6:.2f} MB; in all {written['total'] / 1e6:.2f} MB in {args.out}")
    print(f"try it: python -m http.server 8000 --directory {args.out}  (then open http://localhost:8000/)")
    return 0


def cmd_reconstruct(args) -> int:
    """Per file: the preprocessing notes, error, its percentile, the verdict and the label its code reads
    as (label head, else the 5 nearest test images' majority); the same functions as the Reconstruct page."""
    from .explore.inference import prepare_upload
    from .explore.lab import explain_reconstruction
    from .io.checkpoint import open_checkpoint
    from .preprocess.imaging import png_bytes, to_uint8

    checkpoint = open_checkpoint(args.path)
    bundle, names = checkpoint.bundle, checkpoint.header["dataset"].get("class_names") or []
    if bundle.codes is None:
        raise AelibError(f"{Path(args.path).name}: no explorer bundle; run `python -m aelib bundle` first")
    status = 0
    for file in args.files:
        try:
            prepared = prepare_upload(
                read_user_file(file),
                Path(file).name,
                checkpoint.header["dataset"]["name"],
                checkpoint.model.config.image_shape,
            )
        except (AelibError, OSError) as exc:
            print(json.dumps({"file": file, "error": str(exc)}) if args.json else f"{file}: error: {exc}")
            status = 2
            continue
        out = explain_reconstruction(checkpoint.model, prepared["image"], bundle, evidence=prepared.get("evidence"))
        report = reconstruction_report(file, prepared, out, names)
        if args.out:
            folder = Path(args.out)
            folder.mkdir(parents=True, exist_ok=True)
            for kind, image in (("input", prepared["image"]), ("reconstruction", out["recon"])):
                (folder / f"{Path(file).stem}_{kind}.png").write_bytes(png_bytes(to_uint8(image)))
        print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()) + "\n")
    return status


MAX_INPUT_MB = 50  # the app's upload limit is 25 MB; a photo is a few


def read_user_file(file: str) -> bytes:
    """A file named on the command line, read only when it is a regular file of at most MAX_INPUT_MB
    (never a device such as /dev/zero, a pipe or a folder)."""
    path = Path(file)
    if not path.is_file():
        raise AelibError(f"{path.name}: not a regular file" if path.exists() else f"{path.name}: no such file")
    if path.stat().st_size > MAX_INPUT_MB * 2**20:
        raise AelibError(f"{path.name}: larger than {MAX_INPUT_MB} MB")
    with path.open("rb") as handle:
        data = handle.read(MAX_INPUT_MB * 2**20 + 1)
    if len(data) > MAX_INPUT_MB * 2**20:  # it grew while we read it
        raise AelibError(f"{path.name}: larger than {MAX_INPUT_MB} MB")
    return data


def reconstruction_report(file: str, prepared: dict, out: dict, names: list[str]) -> dict:
    report = {"file": file, "notes": prepared["notes"], "mse": round(out["mse"], 5)}
    if "typicality" in out:
        typical = out["typicality"]
        report.update(
            error_percentile=round(typical["error_percentile"], 1),
            ood_percentile=round(typical["ood_percentile"], 1),
            verdict=typical["word"],  # one word: typical, unusual, unlike (no_face on a face model)
            verdict_text=typical["text"],
            near_boundary=typical["near_boundary"],
        )
    if "nearest_label" in out:
        label = out["nearest_label"]
        report["nearest_label"] = names[label] if label < len(names) else label
        report["label_from"] = out.get("label_from", "vote")  # "classifier": the bundle's label head
    return report
