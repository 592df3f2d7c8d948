"""Checkpoints as single safetensors files: loading one never executes code.

Layout: tensors are stored under prefixes "model/", "bundle/" (explorer arrays) and "optim/"
(optional, for resuming); everything else is one JSON header in the safetensors metadata:
model name, full config, training config, history, dataset, metrics, card, format version.
"""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ..errors import CheckpointError
from ..registry import build_model
from . import bundle as bundles
from . import checks
from .bundle import Bundle

FORMAT = "aelib-checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    path: Path
    header: dict
    model: torch.nn.Module
    bundle: Bundle | None = None  # the explorer arrays, when opened with open_checkpoint

    @property
    def model_name(self) -> str:
        return self.header["model"]

    @property
    def metrics(self) -> dict:
        return self.header.get("metrics", {})


def _open(path: Path):
    if not path.exists():
        raise CheckpointError(f"{path.name}: checkpoint file not found")
    try:
        handle = safe_open(str(path), framework="pt")
    except Exception as exc:  # safetensors raises its own error types for damaged headers
        detail = str(exc).replace(str(path), path.name)  # never show a server path to a user
        raise CheckpointError(
            f"{path.name}: not a readable checkpoint (damaged, truncated or not safetensors: {detail})"
        ) from None
    return handle


def read_header(path: str | Path) -> dict:
    """The JSON header alone (cheap: no tensors are read)."""
    path = Path(path)
    with _open(path) as handle:
        metadata = handle.metadata() or {}
    return _parse_header(path, metadata)


def _parse_header(path: Path, metadata: dict) -> dict:
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path.name}: not an aelib checkpoint (no '{FORMAT}' marker)")
    version = metadata.get("format_version")
    if version != str(FORMAT_VERSION):
        raise CheckpointError(
            f"{path.name}: checkpoint format version {str(version)[:20]} is not supported "
            f"(this aelib reads version {FORMAT_VERSION})"
        )
    text = metadata.get("header")
    if not isinstance(text, str) or len(text) > MAX_HEADER_CHARS:
        raise CheckpointError(
            f"{path.name}: checkpoint header is missing or longer than {MAX_HEADER_CHARS:,} characters"
        )
    try:
        header = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:  # deep nesting raises RecursionError
        raise CheckpointError(f"{path.name}: checkpoint header is damaged ({type(exc).__name__})") from None
    validate_header(header, path.name)
    return header


MAX_HEADER_CHARS = 1_000_000  # a real header (card, history, optimizer settings) is a few KB


# The header's schema: field -> accepted types; the first group is required. Every checkpoint
# is checked against it on write and on read, so a file whose JSON parses but lies is refused
# with one line naming the field, instead of a KeyError somewhere in the app.
REQUIRED = {"model": str, "config": dict, "dataset": dict}
OPTIONAL = {
    "train_config": dict,
    "history": (list, dict),
    "epoch": int,
    "metrics": dict,
    "wall_time_s": (int, float),
    "bundle_info": dict,
    "train_segments": list,
    "complete": bool,
    "optimizer": dict,
    "distributed": dict,
}  # {"world_size", "backend", "device", "amp"} of the training run
DATASET_REQUIRED = {"name": str}
DATASET_OPTIONAL = {
    "image_shape": list,
    "n_train": int,
    "n_test": int,
    "class_names": (list, type(None)),
    "keep_classes": (list, type(None)),
    "kind": str,
}


def validate_header(header, name: str = "checkpoint") -> None:
    """Raise CheckpointError naming `name` and the field if `header` does not fit the schema."""
    if not isinstance(header, dict):
        raise CheckpointError(f"{name}: checkpoint header must be a JSON object, not {type(header).__name__}")
    _check_fields(header, REQUIRED, OPTIONAL, name, "header")
    _check_fields(header["dataset"], DATASET_REQUIRED, DATASET_OPTIONAL, name, "dataset")
    checks.check_config(header["config"], name)
    checks.check_class_names(header["dataset"].get("class_names"), name)
    checks.check_metrics(header.get("metrics", {}), KEY_METRICS, name)


# Card metrics the app formats as numbers (zoo.METRIC_WORDS, the README's table).
KEY_METRICS = (
    "iw_nll",
    "elbo",
    "mse_per_pixel",
    "mse_per_value",
    "probe_accuracy",
    "pca_probe_accuracy",
    "psnr_noisy_db",
    "psnr_denoised_db",
    "anomaly_auc",
    "isolation_forest_auc",
)


def _check_fields(record: dict, required: dict, optional: dict, name: str, where: str) -> None:
    for field in required:
        if field not in record:
            raise CheckpointError(f"{name}: {where} has no '{field}' field")
    for field, types in {**required, **optional}.items():
        value = record.get(field)
        if field in record and not isinstance(value, types) or isinstance(value, bool) and types is int:
            expected = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
            raise CheckpointError(f"{name}: {where}.{field} must be {expected}, not {type(value).__name__}")


def read_tensors(path: str | Path, prefix: str) -> dict[str, torch.Tensor]:
    """All tensors stored under `prefix` ("model/", "bundle/", "optim/"), prefix stripped."""
    path = Path(path)
    with _open(path) as handle:
        try:
            return {k[len(prefix) :]: handle.get_tensor(k) for k in handle.keys() if k.startswith(prefix)}  # noqa: SIM118  (a safetensors handle, not a dict)
        except Exception as exc:
            raise CheckpointError(f"{path.name}: tensor data is damaged or truncated ({exc})") from None


def tensor_shapes(path: str | Path, prefix: str) -> dict[str, tuple]:
    """Shapes of the tensors under `prefix`, from the file's header alone (no data read)."""
    path = Path(path)
    with _open(path) as handle:
        return {k[len(prefix) :]: tuple(handle.get_slice(k).get_shape()) for k in handle.keys() if k.startswith(prefix)}  # noqa: SIM118


def load_checkpoint(path: str | Path, device: str = "cpu") -> Checkpoint:
    """Rebuild the model from its registered name and config, load weights, set eval mode.

    Safe on files from anywhere: sizes are bounded (checks.check_config), the model is first built
    on the meta device and compared with the file's tensor shapes, and weights must be finite."""
    path = Path(path)
    header = read_header(path)

    def build():
        return build_model(header["model"], **header["config"])

    checks.check_model_shapes(build, tensor_shapes(path, "model/"), path.name)
    model = build()
    weights = read_tensors(path, "model/")
    checks.check_finite(weights, path.name)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise CheckpointError(f"{path.name}: weights do not match the model config ({str(exc)[:300]})") from None
    return Checkpoint(path, header, model.to(device).eval())


def load_bundle(path: str | Path, header: dict | None = None) -> Bundle:
    """The explorer arrays (images, labels, codes, pca, tsne, scores...); an empty Bundle if none.
    Checked against the header's model (shapes, finite values, label range): CheckpointError if not."""
    path = Path(path)
    header = header or read_header(path)
    arrays = {}
    for key, tensor in read_tensors(path, "bundle/").items():
        if key.endswith(PNG_SUFFIX):
            arrays[key[: -len(PNG_SUFFIX)]] = _from_png(tensor.numpy(), path)
        else:
            arrays[key] = tensor.numpy()
    config, names = header["config"], header["dataset"].get("class_names") or []
    n_classes = len(names) or config.get("n_classes", 0)
    problems = bundles.problems(arrays, config["latent_dim"], config["image_shape"], n_classes)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CheckpointError(f"{path.name}: bundle {problems[0]}{more}")
    return Bundle.from_arrays(arrays)


def open_checkpoint(path: str | Path) -> Checkpoint:
    """The one way the app and the CLI open a checkpoint they did not just write: the model (bounded,
    shape-checked, finite weights) and its checked explorer arrays in `.bundle`. Raises
    CheckpointError with one line for anything wrong."""
    checkpoint = load_checkpoint(path)
    checkpoint.bundle = load_bundle(path, checkpoint.header)
    return checkpoint


# uint8 image stacks are stored as lossless PNG bytes: MNIST digits shrink about 5x, which keeps
# the shipped checkpoints small. PNG decoding is data parsing, never code execution.
PNG_SUFFIX = ".png"


def _to_png(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) uint8 -> 1-D uint8 PNG bytes of one tall grey image; shape goes in a header row."""
    from PIL import Image

    n, c, h, w = images.shape
    shape_row = np.zeros((1, w), np.uint8)
    shape_row[0, :8] = np.frombuffer(np.array([n, c, h, w], ">u2").tobytes(), np.uint8)
    stacked = np.vstack([shape_row, images.reshape(n * c * h, w)])
    buffer = io.BytesIO()
    Image.fromarray(stacked).save(buffer, format="PNG", optimize=True)
    return np.frombuffer(buffer.getvalue(), np.uint8).copy()


def _from_png(data: np.ndarray, path) -> np.ndarray:
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data.tobytes()))
        width, height = image.size  # from the PNG header: refuse a bomb before decoding it
        if width * height > checks.MAX_BUNDLE_PIXELS:
            raise ValueError(f"{width}x{height} pixels, more than {checks.MAX_BUNDLE_PIXELS:,}")
        stacked = np.array(image)
        n, c, h, w = np.frombuffer(stacked[0, :8].tobytes(), ">u2").astype(int)
        return stacked[1:].reshape(n, c, h, w)
    except Exception as exc:  # Pillow raises OSError, SyntaxError, DecompressionBombError...
        raise CheckpointError(f"{Path(path).name}: bundle images are damaged ({str(exc)[:120]})") from None


def save_checkpoint(
    path: str | Path, model, header: dict, bundle: Bundle | None = None, optimizer_state: dict | None = None
) -> Path:
    """Write model weights, bundle arrays and optimizer state with a JSON header.

    header must hold at least what training knows (train_config, history, dataset...);
    model name and config are taken from the model itself.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"model/{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for key, value in (bundle.arrays() if bundle is not None else {}).items():
        if value.dtype == np.uint8 and value.ndim == 4 and value.shape[3] >= 8:
            key, value = key + PNG_SUFFIX, _to_png(value)
        tensors[f"bundle/{key}"] = torch.as_tensor(np.ascontiguousarray(value))
    header = {**header, "model": model.name, "config": dataclasses.asdict(model.config)}
    validate_header(json.loads(json.dumps(header)), path.name)  # as it will be read back (tuples -> lists)
    if optimizer_state:
        optim_tensors, header["optimizer"] = _flatten_optimizer(optimizer_state)
        tensors.update(optim_tensors)
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "header": json.dumps(header)}
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)  # atomic: a crash mid-write never leaves a half checkpoint behind
    return path


def update_checkpoint(path: str | Path, header_updates: dict | None = None, arrays: dict | None = None) -> None:
    """Merge header fields and (replace or add) bundle arrays, by name, in an existing checkpoint."""
    checkpoint = open_checkpoint(path)
    header = {**checkpoint.header, **(header_updates or {})}
    old = checkpoint.bundle.arrays()
    save_checkpoint(path, checkpoint.model, header, bundle=Bundle.from_arrays({**old, **(arrays or {})}))


def _flatten_optimizer(state_dict: dict) -> tuple[dict, dict]:
    tensors, scalars = {}, {}
    for index, slots in state_dict["state"].items():
        for slot, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"optim/{index}/{slot}"] = value.detach().cpu().contiguous().reshape(value.shape)
            else:
                scalars[f"{index}/{slot}"] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": scalars}


def read_optimizer_state(path: str | Path) -> dict | None:
    """Rebuild an optimizer state_dict saved with save_checkpoint(optimizer_state=...)."""
    header = read_header(path)
    if "optimizer" not in header:
        return None
    state: dict[int, dict] = {}
    for key, tensor in read_tensors(path, "optim/").items():
        index, slot = key.split("/")
        state.setdefault(int(index), {})[slot] = tensor
    for key, value in header["optimizer"]["scalars"].items():
        index, slot = key.split("/")
        state.setdefault(int(index), {})[slot] = value
    return {"state": state, "param_groups": header["optimizer"]["param_groups"]}
