"""The shipped model zoo: find checkpoints, summarise their cards, draw their sample grids."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AelibError
from .checkpoint import KEY_METRICS, read_header

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "checkpoints"


def checkpoint_dir() -> Path:
    """AELIB_CHECKPOINTS overrides the shipped folder (tests point it at tiny checkpoints)."""
    return Path(os.environ.get("AELIB_CHECKPOINTS", DEFAULT_DIR))


def list_checkpoints(directory: str | Path | None = None) -> tuple[list[ModelEntry], list[str]]:
    """(summaries of the readable checkpoints, one error line per unreadable file), by file name.
    Survives any file: one bad checkpoint in the folder costs only its own line."""
    directory = Path(directory or checkpoint_dir())
    entries, errors = [], []
    for path in sorted(directory.glob("*.safetensors")):
        try:
            entries.append(summarise(path, read_header(path)))
        except AelibError as exc:
            errors.append(str(exc))
        except Exception as exc:  # whatever a crafted file provokes, the other models stay listed
            errors.append(f"{path.name}: not a readable checkpoint ({type(exc).__name__})")
    return entries, errors


@dataclass(frozen=True)
class ModelEntry:
    """One line of the model catalogue: a checkpoint's card, read from its header alone."""

    id: str  # the file's stem: what ?model= and the picker name
    path: str
    model: str  # registry name, e.g. "conv_vae"
    dataset: str
    latent_dim: int
    kind: str = "image"  # "image", "series" or "table"
    epochs: int | None = None
    denoise: str | None = None  # the corruption it was trained to remove, e.g. "gaussian:0.5"
    keep_classes: tuple[int, ...] | None = None  # trained on these classes only (a one-class model)
    ood_dataset: str | None = None  # its bundle also scores this data set's images
    metrics: dict[str, float] = field(default_factory=dict)  # the card's KEY_METRICS it has
    own: bool = False  # this browser's own model (trained or opened here), not a shipped file


def summarise(path: Path, header: dict, own: bool = False) -> ModelEntry:
    metrics, dataset = header.get("metrics", {}), header["dataset"]
    return ModelEntry(
        id=path.stem,
        path=str(path),
        model=header["model"],
        dataset=dataset["name"],
        latent_dim=header["config"]["latent_dim"],
        kind=dataset.get("kind", "image"),
        epochs=header.get("epoch"),
        denoise=header.get("train_config", {}).get("denoise"),
        keep_classes=tuple(dataset["keep_classes"]) if dataset.get("keep_classes") else None,
        ood_dataset=header.get("bundle_info", {}).get("ood_dataset"),
        metrics={k: metrics[k] for k in KEY_METRICS if k in metrics},
        own=own,
    )


MARKDOWN_COLUMNS = [
    ("iw_nll", "IW-NLL (nats)"),
    ("elbo", "ELBO"),
    ("mse_per_pixel", "MSE/pixel"),
    ("probe_accuracy", "probe acc."),
    ("pca_probe_accuracy", "PCA probe"),
    ("psnr_noisy_db", "PSNR noisy (dB)"),
    ("psnr_denoised_db", "PSNR denoised (dB)"),
    ("anomaly_auc", "anomaly AUC"),
    ("isolation_forest_auc", "IsolationForest AUC"),
]

# Card metrics in words and units, for people rather than for the README's table.
METRIC_WORDS = {
    "iw_nll": ("test negative log-likelihood", "{:.1f} nats"),
    "elbo": ("test ELBO", "{:.1f} nats"),
    "mse_per_pixel": ("reconstruction error", "{:.4f} MSE per pixel"),
    "mse_per_value": ("reconstruction error", "{:.3f} MSE per value"),
    "probe_accuracy": ("label from the code (linear probe)", "{:.1%}"),
    "pca_probe_accuracy": ("same probe on PCA of the pixels", "{:.1%}"),
    "psnr_noisy_db": ("noisy input", "{:.1f} dB PSNR"),
    "psnr_denoised_db": ("denoised", "{:.1f} dB PSNR"),
    "anomaly_auc": ("anomaly detection", "AUC {:.3f}"),
    "isolation_forest_auc": ("IsolationForest baseline", "AUC {:.3f}"),
}


def metric_lines(entry: ModelEntry) -> list[str]:
    """'reconstruction error: 0.0040 MSE per pixel', one line per card metric the entry has
    (a series or table model's items are values, not pixels)."""
    metrics = entry.metrics
    lines = [f"{words}: {unit.format(metrics[key])}" for key, (words, unit) in METRIC_WORDS.items() if key in metrics]
    if metrics.get("iw_nll", 0) < 0:  # Frey's Gaussian decoder: a newcomer reads "-800 nats" as a bug
        lines = [
            line + " (below zero: pixel values are continuous here, and a density, unlike a probability, can exceed 1)"
            if line.startswith(METRIC_WORDS["iw_nll"][0])
            else line
            for line in lines
        ]
    return lines if entry.kind == "image" else [line.replace("pixels", "values") for line in lines]


def markdown_table(entries: list[ModelEntry]) -> str:
    """The README's table of shipped models (from their cards)."""
    head = ["checkpoint", "model", "dataset", "z", "epochs", *[title for _, title in MARKDOWN_COLUMNS]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
        cells = [f"`{e.id}`", e.model, e.dataset, str(e.latent_dim), str(e.epochs)]
        cells += [f"{e.metrics[k]:.4g}" if k in e.metrics else "" for k, _ in MARKDOWN_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe(header: dict) -> str:
    """One line a person can read: 'conv_vae on mnist, 16-D latent, denoising gaussian:0.5'."""
    parts = [f"{header['model']} on {header['dataset']['name']}", f"{header['config']['latent_dim']}-D latent"]
    if header.get("train_config", {}).get("denoise"):
        parts.append(f"denoising {header['train_config']['denoise']}")
    if header["dataset"].get("keep_classes"):
        parts.append(f"trained on class {','.join(map(str, header['dataset']['keep_classes']))} only")
    return ", ".join(parts)


def model_card(header: dict) -> str:
    """Markdown card: dataset, architecture, training, wall time, metrics."""
    train = header.get("train_config", {})
    lines = [
        f"**{describe(header)}**",
        "",
        f"- dataset: {header['dataset']['name']} {tuple(header['dataset']['image_shape'])}, "
        f"{header['dataset']['n_train']} train / {header['dataset']['n_test']} test images",
        f"- architecture: `{header['model']}` "
        + ", ".join(f"{k}={v}" for k, v in header["config"].items() if k != "image_shape"),
        f"- training: {header.get('epoch')} epochs in {header.get('wall_time_s', 0):.0f} s, "
        f"batch {train.get('batch_size')}, lr {train.get('lr')}, seed {train.get('seed')}"
        + (", dynamic binarisation" if train.get("binarize") else "")
        + (f", KL warm-up {train['kl_warmup_epochs']} epochs" if train.get("kl_warmup_epochs") else "")
        + (", flip/shift augmentation" if train.get("augment") else ""),
    ]
    segments = header.get("train_segments", [])
    if len(segments) > 1:
        lines.append("- resumed: " + ", then ".join(f"to epoch {seg['epochs']} at lr {seg['lr']}" for seg in segments))
    metrics = header.get("metrics", {})
    if metrics:
        lines.append("- test metrics: " + ", ".join(f"{k} {_fmt(v)}" for k, v in metrics.items()))
    return "\n".join(lines)


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
