"""A model's decoder as an ONNX graph, for decoding in the browser (ONNX Runtime Web).

The graph is `model.decode` itself, traced: inputs `z` (N, latent_dim) float32 and, for conditional
models, `label` (N,) int64; output `image` (N, C, H, W) float32 in [0, 1]. N is dynamic.
"""

from __future__ import annotations

import copy
import hashlib
import io
import threading
import warnings

import torch
from torch import nn

OPSET = 17  # ONNX Runtime Web runs every operator our decoders use at this opset
# torch.onnx keeps its state in module globals: two exports at once (two app sessions opening two
# models) fail with "GLOBALS.in_onnx_export must be True". One at a time.
_EXPORT_LOCK = threading.Lock()


class _Decode(nn.Module):
    """Wraps `model.decode` so the exporter sees one forward with plain tensor inputs."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor, label: torch.Tensor | None = None) -> torch.Tensor:
        return self.model.decode(z, label)


def decoder_onnx(model: nn.Module) -> bytes:
    """The serialised ONNX decoder of an image model (a few hundred KB to a few MB)."""
    if not getattr(model, "for_images", False):
        raise ValueError(f"{model.name} is not an image model: only image decoders run in the browser")
    # A copy: the caller's model may be shared (the app caches one per checkpoint) and the exporter
    # switches modes while tracing.
    wrapper = _Decode(copy.deepcopy(model).cpu().eval())
    inputs = (torch.zeros(2, model.config.latent_dim),)
    names, axes = ["z"], {"z": {0: "n"}, "image": {0: "n"}}
    if model.is_conditional:
        inputs += (torch.zeros(2, dtype=torch.long),)
        names.append("label")
        axes["label"] = {0: "n"}
    buffer = io.BytesIO()
    with _EXPORT_LOCK, warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated in favour of torch.export's, which needs onnxscript
        # on top of onnx; our decoders are plain feed-forward graphs that it traces exactly.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # the cvae's one-hot branch, traced as used
        torch.onnx.export(
            wrapper,
            inputs,
            buffer,
            dynamo=False,
            input_names=names,
            output_names=["image"],
            dynamic_axes=axes,
            opset_version=OPSET,
        )
    return buffer.getvalue()


def content_name(data: bytes, suffix: str) -> str:
    """A file name that changes whenever the content does, so browsers may cache it forever."""
    return hashlib.sha256(data).hexdigest()[:20] + suffix
