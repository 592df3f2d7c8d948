"""The explorer as a static site: `python -m aelib export-site CHECKPOINT... --out DIR`.

The folder runs from any static host (`python -m http.server`, GitHub Pages, a course's web space):
no Python, no build step, no CDN, relative paths only (it works under a sub-path), single-threaded
WebAssembly (no COOP/COEP headers). Its page shell (`site.html`, `site.js`) imports the very modules
the Streamlit component runs, copied at export time from latent_control/frontend, so the two never
drift apart. Layout:

    index.html, site.js, core.js, generate.js, ... style.css   the frontend (site.html as index.html)
    vendor/onnxruntime-web/                                     the vendored runtime
    site.json                                                   models in order, the lab's URL
    models/<id>/decoder.onnx   the decoder (inputs z and, for a cvae, label)
    models/<id>/model.json     what Generate needs (bounds, sliders, principal directions, start
                               code), the PCA plane, the card in words
    models/<id>/map.json       the map's points (PCA and t-SNE), labels, codes, training flags
    models/<id>/sprite.png     every map point's image in one grid, row-major

The arrays are the ones the app's pages feed the component (pages/2_Generate.py, 1_Latent_map.py),
computed by the same aelib functions.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np

from ..errors import AelibError
from ..explore.latent import PrincipalAxes, code_bounds, informative_dims
from ..preprocess.imaging import CRISP_DATASETS, png_bytes, tile
from .bundle import Bundle, map_points
from .checkpoint import Checkpoint, open_checkpoint
from .zoo import describe, metric_lines, summarise

FRONTEND = Path(__file__).resolve().parents[2] / "latent_control" / "frontend"
SHELL = "site.html"  # written as index.html
STREAMLIT_ONLY = {"main.js", "index.html"}  # the component's own page shell
RUNTIME = "vendor/onnxruntime-web"
PC_RANGE, N_PCS, N_SLIDERS = 3.0, 6, 10  # as on the Generate page
IMAGE_PX = {"generate": 280, "map": 200, "interpolate": 240}  # as latent_control's defaults


def _floats(array, decimals: int | None = None) -> list:
    values = np.asarray(array, np.float64)
    return (values if decimals is None else np.round(values, decimals)).tolist()


def generate_args(model, bundle: Bundle) -> dict:
    """What Generate feeds the component: code bounds, the latent sliders (the most used
    dimensions), the principal directions and the starting code (the first test image's)."""
    codes = bundle.codes
    latent_dim = codes.shape[1]
    low, high = code_bounds(codes, model.is_variational)
    axes = PrincipalAxes.fit(codes, k=min(latent_dim, N_PCS))
    dims = informative_dims(bundle.dim_score, min(latent_dim, N_SLIDERS))
    labels = bundle.labels
    return {
        "bounds": {"low": _floats(low), "high": _floats(high)},
        "dims": [{"index": int(i), "low": float(low[i]), "high": float(high[i])} for i in dims],
        "pcs": {
            "mean": _floats(axes.mean),
            "directions": _floats(axes.directions),
            "std": _floats(axes.std),
            "range": PC_RANGE,
        },
        "start": {
            "code": _floats(np.clip(codes[0], low, high)),
            "label": int(labels[0]) if model.is_conditional and labels is not None else None,
        },
    }


def map_data(bundle: Bundle, names: list[str]) -> dict:
    """The latent map's points (test images first, then any training images the bundle encoded),
    both maps, labels, class colours and the codes (the t-SNE blend, Interpolate's ends)."""
    from ..explore.figures import class_colours  # plotly: only an export imports it

    points = map_points(bundle)
    labels = points.labels
    n_classes = len(names) if names else (0 if labels is None else int(labels.max()) + 1)
    return {
        "n_test": len(bundle.codes),
        "names": names or None,
        "colours": class_colours(max(n_classes, 1)),
        "labels": None if labels is None else np.asarray(labels).astype(int).tolist(),
        "train": points.train.astype(int).tolist() if points.train.any() else None,
        "codes": _floats(points.codes, 6),
        "pca": _floats(points.pca, 5),
        "tsne": None if points.tsne is None else _floats(points.tsne, 5),
    }


def sprite(images: np.ndarray) -> tuple[bytes, int]:
    """(N, C, H, W) uint8 -> (PNG of a row-major grid with no gaps, number of columns)."""
    columns = int(np.ceil(np.sqrt(len(images))))
    grid = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    return png_bytes(tile(grid, n_cols=columns, pad=0, pad_value=0)), columns


def card(model_id: str, header: dict) -> list[str]:
    """The model's card in words: what it is, then its test metrics."""
    return [describe(header), *metric_lines(summarise(Path(f"{model_id}.safetensors"), header))]


def model_files(model_id: str, checkpoint: Checkpoint, bundle: Bundle | None = None) -> dict[str, bytes]:
    """A model's folder: {file name: bytes}. bundle: the explorer arrays (default: the checkpoint's,
    when opened with open_checkpoint). AelibError for a model the site cannot show."""
    from .onnx_export import decoder_onnx

    model, header = checkpoint.model, checkpoint.header
    bundle = checkpoint.bundle if bundle is None else bundle
    if not getattr(model, "for_images", False):
        raise AelibError(f"{model_id}: not an image model; the site shows image models only")
    if bundle is None or bundle.codes is None or bundle.images is None:
        raise AelibError(f"{model_id}: no explorer bundle; run `python -m aelib bundle` first")
    names = list(header["dataset"].get("class_names") or [])
    data = map_data(bundle, names)
    picture, columns = sprite(map_points(bundle).images)
    info = {
        "id": model_id,
        "title": describe(header),
        "card": card(model_id, header),
        "dataset": header["dataset"]["name"],
        "latent_dim": int(model.config.latent_dim),
        "shape": [int(s) for s in model.config.image_shape],
        "conditional": bool(model.is_conditional),
        "variational": bool(model.is_variational),
        # a cvae's classes by name (by number when its data set has no names)
        "class_names": names or ([str(i) for i in range(model.config.n_classes)] if model.is_conditional else None),
        "smooth": header["dataset"]["name"] not in CRISP_DATASETS,
        "image_px": IMAGE_PX,
        "pca": {"mean": _floats(bundle.pca_mean), "components": _floats(bundle.pca_components)},
        "sprite": {"columns": columns, "count": len(data["codes"])},
        **generate_args(model, bundle),
    }
    return {
        "decoder.onnx": decoder_onnx(model),
        "model.json": json.dumps(info).encode(),
        "map.json": json.dumps(data, separators=(",", ":")).encode(),
        "sprite.png": picture,
    }


def frontend_files() -> dict[str, Path]:
    """The shared modules, the site's shell (as index.html) and the vendored runtime: {path in the
    export: source file}. Every module in the frontend goes, so one a builder starts to import is
    never missing; the Streamlit component's shell stays behind."""
    files = {"index.html": FRONTEND / SHELL}
    for path in sorted(FRONTEND.iterdir()):
        if path.suffix in {".js", ".css"} and path.name not in STREAMLIT_ONLY:
            files[path.name] = path
    for path in sorted((FRONTEND / RUNTIME).iterdir()):
        if path.is_file():
            files[f"{RUNTIME}/{path.name}"] = path
    return files


def _folder_name(model_id: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "_", model_id)[:60] or "model"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def check_lab_url(lab_url: str | None) -> str | None:
    if not lab_url:
        return None
    if not re.fullmatch(r"https?://[^\s\"'<>]+", lab_url):
        raise AelibError(f"--lab-url must be an http:// or https:// address, got {lab_url[:80]!r}")
    return lab_url.rstrip("/")


def site_files(models: list[tuple], lab_url: str | None = None) -> dict[str, bytes | Path]:
    """Every file of the site: {relative path: bytes, or the Path of a file to copy}.
    models: (model id as in the app's `?model=`, Checkpoint[, bundle]) each, in the chooser's order;
    without a bundle, the checkpoint's own (open_checkpoint reads it)."""
    if not models:
        raise AelibError("name at least one checkpoint to export")
    lab_url = check_lab_url(lab_url)
    ids = [model_id for model_id, *_ in models]
    if len(set(ids)) != len(ids):
        raise AelibError(f"each model can be exported once; repeated: {sorted({i for i in ids if ids.count(i) > 1})}")
    files: dict[str, bytes | Path] = dict(frontend_files())
    catalogue, taken = [], set()
    for model_id, checkpoint, *bundle in models:
        folder = _folder_name(model_id, taken)
        for name, data in model_files(model_id, checkpoint, *bundle).items():
            files[f"models/{folder}/{name}"] = data
        model = checkpoint.model  # what the page needs to start the decoder's download at once
        catalogue.append(
            {
                "id": model_id,
                "folder": f"models/{folder}/",
                "title": describe(checkpoint.header),
                "latent_dim": int(model.config.latent_dim),
                "shape": [int(s) for s in model.config.image_shape],
                "conditional": bool(model.is_conditional),
            }
        )
    site = {"title": "Autoencoder Lab", "lab_url": lab_url, "models": catalogue}
    files["site.json"] = json.dumps(site, indent=1).encode()
    return files


def open_models(paths) -> list[tuple[str, Checkpoint]]:
    """Checkpoint files -> (id, checkpoint with its bundle); the id is the file's stem, as in the app."""
    return [(Path(p).stem, open_checkpoint(p)) for p in paths]


def export_site(models: list[tuple], out: str | Path, lab_url: str | None = None) -> dict:
    """Write the site into `out` (a new or empty folder, or an earlier export, which is replaced).
    Returns the bytes written: {"models": {id: bytes}, "shared": bytes, "total": bytes}."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise AelibError(f"{out.name}: not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / "site.json").is_file():
            raise AelibError(f"{out.name}: not empty and not an earlier export; choose a new folder")
        shutil.rmtree(out / "models", ignore_errors=True)
    files = site_files(models, lab_url)
    for relative, content in files.items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)
    return sizes(files)


def sizes(files: dict[str, bytes | Path]) -> dict:
    """Bytes per model (its folder), shared (page and runtime) and in all."""

    def size(content) -> int:
        return content.stat().st_size if isinstance(content, Path) else len(content)

    folders = {entry["folder"]: entry["id"] for entry in json.loads(files["site.json"])["models"]}
    per_model = dict.fromkeys(folders.values(), 0)
    shared = 0
    for relative, content in files.items():
        folder = next((f for f in folders if relative.startswith(f)), None)
        if folder is None:
            shared += size(content)
        else:
            per_model[folders[folder]] += size(content)
    return {"models": per_model, "shared": shared, "total": shared + sum(per_model.values())}


def export_site_zip(models: list[tuple], lab_url: str | None = None, folder: str = "demo") -> bytes:
    """The site as a .zip (everything inside `folder/`), for a download button: unzip, then serve
    the folder with any static host. models as for site_files (a session's own models too)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for relative, content in site_files(models, lab_url).items():
            data = content.read_bytes() if isinstance(content, Path) else content
            # the runtime's WebAssembly and the decoders barely shrink, PNGs not at all
            method = zipfile.ZIP_STORED if relative.endswith(".png") else zipfile.ZIP_DEFLATED
            archive.writestr(f"{folder}/{relative}", data, compress_type=method)
    return buffer.getvalue()
