"""The latent-control component: the model's decoder runs in the browser and redraws on every input
event; Python hears back only when the user lets go.

The front end is plain JavaScript modules in `frontend/` (no build step, no Node.js): ONNX Runtime
Web is vendored in `frontend/vendor/`, and decoders and map data are written, named by their content,
to `frontend/assets/`, which Streamlit serves with the component. Three modes share one component:
`generate` (sliders and a 2-D pad), `map` (hover over a latent map) and `interpolate` (scrub t).

Each call returns the last release, a dict with "seq" (new per release), or {"error": ...} when the
browser cannot decode (no WebAssembly, the runtime or model failed to load): the page then falls
back to decoding on the server.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import streamlit.components.v1 as components

from aelib.io.onnx_export import content_name, decoder_onnx
from aelib.preprocess.imaging import png_bytes

FRONTEND = Path(__file__).resolve().parent / "frontend"
ASSETS = FRONTEND / "assets"
ORT_VERSION = "1.30.0"  # frontend/vendor/onnxruntime-web/README.md says how to update it
MAX_ASSETS = 200  # models trained in the app add a decoder each: the oldest files go beyond this

_component = components.declare_component("latent_control", path=str(FRONTEND))


def write_asset(data: bytes, suffix: str) -> str:
    """Store `data` beside the component under a name derived from its content; returns its URL
    relative to the component's page. Safe when several sessions write the same file at once."""
    name = content_name(data, suffix)
    path = ASSETS / name
    if not path.exists():
        ASSETS.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=ASSETS, delete=False, suffix=".tmp") as handle:
            handle.write(data)
        os.replace(handle.name, path)
        _prune(keep=path)
    return f"assets/{name}"


def _prune(keep: Path) -> None:
    """Delete the oldest assets beyond MAX_ASSETS (a page whose file went re-exports it). Other
    sessions write and prune at the same time: a file that vanishes under us is simply skipped."""
    # Another session's ".tmp" file is a write in progress, not an old asset: never pruned.
    finished = (p for p in ASSETS.iterdir() if p != keep and p.suffix != ".tmp")
    dated = [(when, p) for p in finished if (when := _mtime(p)) is not None]
    files = [p for _, p in sorted(dated)]
    for old in files[: max(0, len(files) + 1 - MAX_ASSETS)]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def decoder_asset(model) -> str:
    """Export the model's decoder to ONNX and store it; returns its URL (callers cache it)."""
    return write_asset(decoder_onnx(model), ".onnx")


def map_asset(points: np.ndarray, labels, codes, names, colours, train=None) -> str:
    """The map's points (N, 2), labels (N,) or None, codes (N, D) or None (only t-SNE needs them, for
    the blend of nearest codes), and train (N,) bool or None (training images, drawn outlined) as
    one JSON file, fetched once by the browser."""
    data = {
        "train": None if train is None else np.asarray(train).astype(int).tolist(),
        "points": np.round(np.asarray(points, np.float64), 5).tolist(),
        "labels": None if labels is None else np.asarray(labels).astype(int).tolist(),
        "codes": None if codes is None else np.round(np.asarray(codes, np.float64), 6).tolist(),
        "names": names,
        "colours": colours,
    }
    return write_asset(json.dumps(data).encode(), ".json")


def _floats(array) -> list:
    return np.asarray(array, np.float64).tolist()


def _model_args(model, decoder_url: str, smooth: bool, image_px: int) -> dict:
    return {
        "model_url": decoder_url,
        "latent_dim": int(model.config.latent_dim),
        "shape": [int(s) for s in model.config.image_shape],
        "conditional": bool(model.is_conditional),
        "smooth": smooth,
        "image_px": image_px,
    }


def live_generate(
    model, decoder_url, *, code, label, class_names, bounds, dims, pcs, revision, key, smooth, preview, image_px=280,
    attributes=None,
) -> dict | None:  # fmt: skip
    """bounds: (low (D,), high (D,)) every code is clipped to; dims: indices of the latent sliders;
    pcs: (the k principal sliders' aelib.explore.latent.PrincipalAxes, their range in std).
    `revision` changes whenever Python moves the code, so the browser takes it over. preview: the
    server's decoded image of `code` ((H, W) or (H, W, 3) in [0, 1]), shown until the browser's
    decoder is ready. attributes: named attribute directions as sliders
    (aelib.explore.directions.slider_args), or None."""
    low, high = bounds
    axes, pc_range = pcs
    return _component(
        mode="generate",
        **_model_args(model, decoder_url, smooth, image_px),
        code=_floats(code),
        label=None if label is None else int(label),
        class_names=class_names if model.is_conditional else None,
        bounds={"low": _floats(low), "high": _floats(high)},
        dims=[{"index": int(i), "low": float(low[i]), "high": float(high[i])} for i in dims],
        pcs={
            "mean": _floats(axes.mean),
            "directions": _floats(axes.directions),
            "std": _floats(axes.std),
            "range": pc_range,
        },
        revision=revision,
        preview="data:image/png;base64," + base64.b64encode(png_bytes(preview)).decode(),
        directions=attributes,
        key=key,
        default=None,
    )


def live_map(model, decoder_url, *, data_url, method, pca_mean, pca_components, key, smooth, image_px=200):
    """Hover decoding on a 2-D map; method "PCA" (exact inverse) or "t-SNE" (blend of nearest codes)."""
    return _component(
        mode="map",
        **_model_args(model, decoder_url, smooth, image_px),
        data_url=data_url,
        method=method,
        pca={"mean": _floats(pca_mean), "components": _floats(pca_components)},
        key=key,
        default=None,
    )


def live_interpolate(model, decoder_url, *, z0, z1, method, labels, key, smooth, image_px=240):
    """Scrub t in [0, 1] between z0 and z1; method "linear" or "spherical"; labels (start, end) for
    conditional models (the start's class for t < 0.5)."""
    return _component(
        mode="interpolate",
        **_model_args(model, decoder_url, smooth, image_px),
        z0=_floats(z0),
        z1=_floats(z1),
        method=method,
        labels=None if labels is None else [int(v) for v in labels],
        key=key,
        default=None,
    )
