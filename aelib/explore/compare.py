"""Compare kinds of autoencoder on the same data: which kind a model is, what it teaches, and the
numbers and images the Compare page lays side by side.

Shapes: display images are (N, H, W) or (N, H, W, 3) floats in [0, 1]; bundle images are
(N, C, H, W) uint8; codes are (N, D) with D the model's latent_dim; labels are (N,) int64 and are
only given to conditional models.
"""

from __future__ import annotations

import numpy as np
import torch

from ..io.bundle import Bundle
from ..io.zoo import ModelEntry
from ..preprocess.imaging import psnr, stored_to_display, tile
from ..training.noise import corrupt
from .inference import decode, encode, rebuild

# MNIST's six kinds, in the order the article introduces them: the page's default selection.
DEFAULT_IDS = (
    "mnist_ae",
    "mnist_sparse_ae",
    "mnist_denoising_conv_ae",
    "mnist_conv_ae",
    "mnist_vae2d",
    "mnist_conv_vae",
)
# The noise the denoising models were trained with: "PSNR on noisy inputs" uses it.
NOISE = ("gaussian", 0.5)
NOISE_LEVELS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)  # std of the added Gaussian noise

KIND_ORDER = (
    "vanilla AE",
    "sparse AE",
    "denoising AE",
    "convolutional AE",
    "one-class AE",
    "VAE",
    "convolutional VAE",
    "conditional VAE",
    "1-D convolutional AE",
    "LSTM AE",
)
LESSONS = {
    "vanilla AE": "squeezes each image through a small code and learns to rebuild it; nothing asks "
    "its codes to be tidy.",
    "sparse AE": "has many code units but is fined for using them, so each image switches on only a few.",
    "denoising AE": "was shown noisy images and asked for the clean ones, so it learned to ignore noise.",
    "convolutional AE": "looks at small patches with shared filters, so it keeps strokes sharper than a dense AE.",
    "one-class AE": "only ever saw one class, so it rebuilds that class well and the others badly.",
    "VAE": "maps each image to a cloud of codes around a point and keeps the codes near N(0, I), "
    "so random codes decode to plausible images.",
    "convolutional VAE": "is a VAE with convolutional layers: generates like a VAE, rebuilds more sharply.",
    "conditional VAE": "is told the class too, so its code only has to hold the style.",
    "1-D convolutional AE": "slides filters along the signal in time.",
    "LSTM AE": "reads the signal one step at a time and retells it from a summary vector.",
}


def kind_of(entry: ModelEntry) -> str:
    """A model's kind in words, from its zoo entry (zoo.summarise): e.g. "denoising AE"."""
    model = entry.model
    if entry.keep_classes and entry.kind == "image":
        return "one-class AE"
    if model in ("ae", "conv_ae") and entry.denoise:
        return "denoising AE"
    names = {
        "ae": "vanilla AE",
        "sparse_ae": "sparse AE",
        "conv_ae": "convolutional AE",
        "vae": "VAE",
        "conv_vae": "convolutional VAE",
        "cvae": "conditional VAE",
        "conv1d_ae": "1-D convolutional AE",
        "lstm_ae": "LSTM AE",
    }
    return names.get(model, model)


def same_data(entries: list[ModelEntry], dataset: str) -> list[ModelEntry]:
    """The image models trained on `dataset`, ordered by kind, then by id."""
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    chosen = [e for e in entries if e.dataset == dataset and e.kind == "image"]
    return sorted(chosen, key=lambda e: (rank.get(kind_of(e), len(rank)), e.id))


def default_selection(candidates: list[ModelEntry], limit: int = 6) -> list[str]:
    """MNIST's six kinds when they are all there; otherwise one model of each kind (one-class
    models left out: they answer another question), up to `limit`, then any others."""
    ids = [e.id for e in candidates]
    if all(i in ids for i in DEFAULT_IDS):
        return list(DEFAULT_IDS)
    first, seen = [], set()
    for entry in candidates:
        kind = kind_of(entry)
        if kind not in seen and kind != "one-class AE":
            first.append(entry.id)
            seen.add(kind)
    rest = [i for i in ids if i not in first]
    return (first + rest)[:limit]


def pick_test_images(labels: np.ndarray | None, n_images: int, n: int = 4, seed: int = 0) -> np.ndarray:
    """(n,) bundle indices: with labels, images of different classes where possible; seeded."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_images)
    if labels is None:
        return np.sort(order[:n])
    picked, classes = [], set()
    for i in order:  # one per class first, then fill up with whatever comes next
        if int(labels[i]) not in classes:
            picked.append(int(i))
            classes.add(int(labels[i]))
        if len(picked) == n:
            break
    picked += [int(i) for i in order if int(i) not in picked][: n - len(picked)]
    return np.array(picked)


def best_labels(model, images: np.ndarray) -> np.ndarray | None:
    """For a conditional model without given classes: for each image (N, H, W[, 3]) the class
    whose reconstruction is closest, (N,); None for other models."""
    if not model.is_conditional:
        return None
    n_classes = model.config.n_classes
    errors = np.stack(
        [
            ((reconstruct(model, images, np.full(len(images), c)) - images) ** 2).reshape(len(images), -1).mean(1)
            for c in range(n_classes)
        ]
    )  # (n_classes, N)
    return errors.argmin(0)


def reconstruct(model, images: np.ndarray, labels=None) -> np.ndarray:
    """(N, H, W[, 3]) -> reconstructions of the same shape. labels: (N,) for a conditional model
    (None: the best-fitting class, see best_labels)."""
    if model.is_conditional and labels is None:
        labels = best_labels(model, images)
    labels = labels if model.is_conditional else None
    return rebuild(model, images, labels)


def error_maps(images: np.ndarray, recons: np.ndarray) -> np.ndarray:
    """Per-pixel squared error (N, H, W) (colour: the mean over R, G, B)."""
    error = (recons - images) ** 2
    return error.mean(-1) if error.ndim == 4 else error


# black for no error, like the images' background; red to yellow as it grows (figures.heatmap's scale)
_STOPS = np.array([0.0, 0.35, 0.7, 1.0])
_COLOURS = np.array([[0, 0, 0], [0xB2, 0x18, 0x2B], [0xFF, 0x7F, 0x00], [0xFF, 0xFF, 0x66]]) / 255.0


def colour_errors(errors: np.ndarray, vmax: float) -> np.ndarray:
    """(N, H, W) squared errors -> (N, H, W, 3) colours in [0, 1], 0 to `vmax` on one scale (the
    same vmax for every model, so brighter means worse whichever column it is in)."""
    t = np.clip(errors / max(vmax, 1e-8), 0, 1)
    return np.stack([np.interp(t, _STOPS, _COLOURS[:, c]) for c in range(3)], -1).astype(np.float32)


def add_noise(images: np.ndarray, level: float, kind: str = "gaussian", seed: int = 0) -> np.ndarray:
    """The images (N, H, W[, 3]) with `kind` noise at `level` (noise.corrupt), same shape, seeded."""
    x = torch.from_numpy(np.ascontiguousarray(images, np.float32))
    return corrupt(x, kind, level, generator=torch.Generator().manual_seed(seed)).numpy()


def samples(model, codes: np.ndarray, n: int = 4, seed: int = 0) -> dict[str, np.ndarray]:
    """Decoded random codes, (n, H, W[, 3]) each: "prior" from N(0, I) for every model; for a
    plain (non-variational) AE also "fitted", from a Gaussian with the mean and covariance of its
    test codes (N, D). Conditional models get the classes 0, 1, 2, ... in turn."""
    rng = np.random.default_rng(seed)
    dim = codes.shape[1]
    labels = np.arange(n) % model.config.n_classes if model.is_conditional else None
    out = {"prior": decode(model, rng.standard_normal((n, dim)).astype(np.float32), labels)}
    if not model.is_variational:
        mean, cov = codes.mean(0), np.atleast_2d(np.cov(codes, rowvar=False))
        fitted = rng.multivariate_normal(mean, cov + 1e-6 * np.eye(dim), size=n, method="eigh")
        out["fitted"] = decode(model, fitted.astype(np.float32), labels)
    return out


def midpoint(model, pair: np.ndarray, labels=None) -> np.ndarray:
    """(2, H, W[, 3]) -> (3, H, W[, 3]): the first image's reconstruction, the decoded midpoint
    of the two codes, the second's reconstruction. A conditional model keeps the first's class."""
    if model.is_conditional:
        labels = best_labels(model, pair) if labels is None else np.asarray(labels)
        labels = np.full(3, labels[0])
        codes = encode(model, pair, labels[:2])
    else:
        labels, codes = None, encode(model, pair)
    return decode(model, np.stack([codes[0], codes.mean(0), codes[1]]), labels)


def sparsity(codes: np.ndarray, share: float = 0.05) -> float:
    """Share of code values (N, D) near zero: under `share` times the 99th percentile of |z|
    (a scale-free threshold, so VAEs' and ReLU codes are judged alike)."""
    magnitude = np.abs(codes)
    scale = float(np.percentile(magnitude, 99)) or 1.0
    return float((magnitude < share * scale).mean())


@torch.no_grad()
def computed_metrics(model, bundle: Bundle, n: int = 250, seed: int = 0) -> dict:
    """What the checkpoint's card does not hold, from the bundle's first n test images: "noise_psnr"
    (len(NOISE_LEVELS),) PSNR in dB of the reconstruction of noisy inputs against the clean image
    at each Gaussian std in NOISE_LEVELS, "psnr_noisy_db" the same at NOISE (the denoising
    models' training noise), and "sparsity" of the bundle's codes. Meant to be cached."""
    images = stored_to_display(bundle.images[:n])
    labels = bundle.labels[:n] if model.is_conditional and bundle.labels is not None else None
    curve = []
    for i, level in enumerate(NOISE_LEVELS):
        noisy = add_noise(images, level, NOISE[0], seed + i) if level else images
        recons = reconstruct(model, noisy, labels)
        axes = tuple(range(1, images.ndim))
        curve.append(float(psnr(images, recons, axis=axes).mean()))
    at = NOISE_LEVELS.index(NOISE[1])
    return {"noise_psnr": np.array(curve), "psnr_noisy_db": curve[at], "sparsity": sparsity(bundle.codes)}


def n_parameters(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def card_numbers(header: dict) -> dict:
    """The numbers of a checkpoint's card the table shows, as stored by `python -m aelib eval
    --save` (absent ones are None): mse_per_pixel, psnr_db, iw_nll, probe_accuracy."""
    metrics = header.get("metrics", {})
    return {k: metrics.get(k) for k in ("mse_per_pixel", "psnr_db", "iw_nll", "probe_accuracy")}


def table_row(entry: ModelEntry, model, header: dict, computed: dict) -> dict:
    """One row of the comparison table: card numbers plus parameters, latent size and the computed ones."""
    return {
        "id": entry.id,
        "kind": kind_of(entry),
        "parameters": n_parameters(model),
        "latent_dim": int(model.config.latent_dim),
        **card_numbers(header),
        "psnr_noisy_db": computed["psnr_noisy_db"],
        "sparsity": computed["sparsity"],
    }


COLUMNS = (
    ("kind", "kind", "{}"),
    ("parameters", "parameters", "{:,}"),
    ("latent_dim", "latent size", "{}"),
    ("mse_per_pixel", "test MSE", "{:.4f}"),
    ("psnr_db", "test PSNR (dB)", "{:.1f}"),
    ("psnr_noisy_db", "PSNR, noisy input (dB)", "{:.1f}"),
    ("sparsity", "near-zero code values", "{:.0%}"),
    ("iw_nll", "IW-NLL (nats)", "{:.1f}"),
    ("probe_accuracy", "linear probe", "{:.1%}"),
)


def format_cell(key: str, value) -> str:
    fmt = next(f for k, _, f in COLUMNS if k == key)
    return "—" if value is None else fmt.format(value)


def table_markdown(rows: list[dict]) -> str:
    """The rows as a markdown table (model ids are file stems: letters, digits and underscores)."""
    head = "| model | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 1)
    body = [f"| `{r['id']}` | " + " | ".join(format_cell(k, r[k]) for k, _, _ in COLUMNS) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def strip(images: np.ndarray, n_cols: int | None = None) -> np.ndarray:
    """(N, H, W[, 3]) -> one tiled image, n_cols across (default: a square-ish grid), white gaps."""
    n_cols = n_cols or int(np.ceil(np.sqrt(len(images))))
    return tile(np.clip(images, 0, 1).astype(np.float32), n_cols=n_cols, pad=1)


def series_reconstructions(model, signals: np.ndarray) -> np.ndarray:
    """(N, L) signals -> (N, L) reconstructions by a series model."""
    recon = rebuild(model, signals[:, None, None, :])
    return recon.reshape(len(signals), -1)


def as_rgb(images: np.ndarray) -> np.ndarray:
    """(N, H, W) grey -> (N, H, W, 3); colour images unchanged."""
    return images if images.ndim == 4 else np.repeat(images[..., None], 3, -1)


def shared_scale(errors: list[np.ndarray], percentile: float = 99.5) -> float:
    """One top for every model's error maps: a high percentile of all their squared errors, so a
    single badly rebuilt pixel does not turn everyone else's maps black."""
    return float(max(np.percentile(np.concatenate([e.ravel() for e in errors]), percentile), 1e-4))


def noise_figure(curves: dict[str, np.ndarray]):
    """Plotly line chart: PSNR (dB) of the reconstruction of noisy inputs against the noise std,
    one line per model; curves maps a model's name to (len(NOISE_LEVELS),) values."""
    import pandas  # noqa: F401  (before plotly: see aelib/figures.py)
    import plotly.graph_objects as go

    fig = go.Figure(
        [go.Scatter(x=list(NOISE_LEVELS), y=list(y), mode="lines+markers", name=name) for name, y in curves.items()]
    )
    fig.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title="Rebuilding noisy test images: higher is better",
        xaxis_title="std of the Gaussian noise added to the input",
        yaxis_title="PSNR against the clean image (dB)",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def map_picture(coords: np.ndarray, labels: np.ndarray | None, size: int = 114, max_points: int = 1000) -> np.ndarray:
    """A small picture (size, size, 3) in [0, 1] of 2-D map coordinates (N, 2): one 2x2 dot per
    point (a seeded sample of at most max_points), coloured by label (N,) as on the latent map
    (figures.class_colours), on a light ground. A picture, not a chart: small multiples stay light."""
    from .figures import class_colours

    keep = np.random.default_rng(0).permutation(len(coords))[:max_points]
    xy = coords[keep]
    low, high = np.percentile(xy, 1, axis=0), np.percentile(xy, 99, axis=0)  # outliers: at the edge
    span = float(np.max(np.maximum(high - low, 1e-6)))  # one scale for both axes: shapes stay true
    centre = (low + high) / 2
    pixels = np.clip(((xy - centre) / span * 0.92 + 0.5) * (size - 2), 0, size - 2).astype(int)
    picture = np.full((size, size, 3), 0.98, np.float32)
    n_classes = 1 if labels is None else int(labels.max()) + 1
    palette = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in class_colours(n_classes)])
    colours = palette[0 if labels is None else labels[keep].astype(int)]
    colours = np.broadcast_to(colours, (len(keep), 3))
    for (x, y), colour in zip(pixels, colours, strict=True):
        picture[size - 2 - y : size - y, x : x + 2] = colour  # y grows upwards, as on a chart
    return picture
