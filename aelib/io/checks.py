"""What a checkpoint from anywhere must satisfy before the app or the CLI spends memory on it.

A checkpoint is a file someone else may have written: its header can ask for a 20,000-wide layer or
a 10^9-D latent, its weights can be NaN, its explorer arrays can disagree with the model. So every
size is bounded before anything is built, the model is first built on PyTorch's "meta" device
(shapes only, no storage) and compared with the shapes the file declares, and weights and explorer
arrays must be finite and consistent. Each problem is one line naming the file and the field.
"""

from __future__ import annotations

import math

import torch

from ..errors import AelibError, CheckpointError

MAX_LATENT_DIM = 4096
MAX_SIDE = 4096  # height or width of an image, length of a series or table row
MAX_VALUES = 4 * 1024 * 1024  # C * H * W of one item
MAX_WIDTH = 16_384  # any layer width or other integer setting in a config
MAX_CLASSES = 1000
MAX_PARAMETERS = 50_000_000  # 200 MB of float32 weights: far above any model this app trains
MAX_BUNDLE_PIXELS = 64 * 1024 * 1024  # decoded bundle images (a 3,000-image 64x64 colour set is 37 M)


def check_config(config: dict, name: str) -> None:
    """Bound every number in a model config before a model is built from it."""
    shape = config.get("image_shape")
    if not isinstance(shape, list) or len(shape) != 3 or not all(_is_int(v) and v > 0 for v in shape):
        raise CheckpointError(f"{name}: config.image_shape must be three positive integers, not {str(shape)[:60]}")
    channels, height, width = shape
    if channels > 4 or max(height, width) > MAX_SIDE or channels * height * width > MAX_VALUES:
        raise CheckpointError(
            f"{name}: config.image_shape {shape} is too large (at most 4 channels, sides of {MAX_SIDE}, "
            f"{MAX_VALUES:,} values)"
        )
    latent_dim = config.get("latent_dim")
    if not _is_int(latent_dim) or not 1 <= latent_dim <= MAX_LATENT_DIM:
        raise CheckpointError(
            f"{name}: config.latent_dim must be an integer from 1 to {MAX_LATENT_DIM}, not {str(latent_dim)[:30]}"
        )
    for key, value in config.items():
        if key == "image_shape":
            continue
        if isinstance(value, list):  # layer widths: each at least 1
            if not all(_is_int(v) and 1 <= v <= MAX_WIDTH for v in value) or len(value) > 16:
                raise CheckpointError(
                    f"{name}: config.{key} must be at most 16 integers from 1 to {MAX_WIDTH}, not {str(value)[:60]}"
                )
        elif _is_int(value) and not 0 <= value <= MAX_WIDTH:
            raise CheckpointError(f"{name}: config.{key} must be from 0 to {MAX_WIDTH}, not {str(value)[:30]}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise CheckpointError(f"{name}: config.{key} must be a finite number, not {value}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_model_shapes(build, tensor_shapes: dict[str, tuple], name: str) -> None:
    """Build the model with `build()` on the meta device (no memory) and compare its parameters and
    buffers with the file's tensors, by name and shape, before the real model is built."""
    try:
        with torch.device("meta"):
            model = build()
    except AelibError as exc:
        raise CheckpointError(f"{name}: {exc}") from None
    except Exception as exc:  # any config the model cannot be built from (negative sizes, bad values)
        raise CheckpointError(
            f"{name}: checkpoint config is invalid ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None
    expected = {key: tuple(value.shape) for key, value in model.state_dict().items()}
    n_parameters = sum(math.prod(shape) for shape in expected.values())
    if n_parameters > MAX_PARAMETERS:
        raise CheckpointError(f"{name}: the model would have {n_parameters:,} values; at most {MAX_PARAMETERS:,}")
    missing = sorted(set(expected) - set(tensor_shapes))
    unexpected = sorted(set(tensor_shapes) - set(expected))
    wrong = [k for k in expected if k in tensor_shapes and tuple(tensor_shapes[k]) != expected[k]]
    if missing or unexpected or wrong:
        detail = (
            f"missing {missing[0]}"
            if missing
            else f"unexpected {unexpected[0]}"
            if unexpected
            else f"{wrong[0]} is {tuple(tensor_shapes[wrong[0]])}, the config needs {expected[wrong[0]]}"
        )
        count = len(missing) + len(unexpected) + len(wrong)
        raise CheckpointError(f"{name}: weights do not match the model config ({detail}; {count} problem(s))")


def check_finite(tensors: dict[str, torch.Tensor], name: str) -> None:
    """Refuse NaN or infinite weights: such a model reconstructs everything as NaN."""
    for key, tensor in tensors.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{name}: weight {key} contains NaN or infinite values")


def check_metrics(metrics: dict, key_metrics, name: str) -> None:
    """Card metrics are scalars; the ones the app formats as numbers must be finite numbers."""
    for key, value in metrics.items():
        if not isinstance(value, (int, float, str, bool)) or isinstance(value, str) and len(value) > 200:
            raise CheckpointError(f"{name}: metrics.{str(key)[:40]} must be a number or a short text")
        if key in key_metrics and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise CheckpointError(f"{name}: metrics.{key} must be a number, not {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise CheckpointError(f"{name}: metrics.{key} is {value}")


def check_class_names(names, name: str) -> None:
    if names is None:
        return
    if len(names) > MAX_CLASSES or not all(isinstance(n, str) and len(n) <= 100 for n in names):
        raise CheckpointError(f"{name}: dataset.class_names must be at most {MAX_CLASSES} short texts")
