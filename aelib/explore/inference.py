"""Numpy-in, numpy-out helpers the app calls: encode, decode, reconstruct, explain one upload.

Images for display are (N, H, W) float32 in [0, 1] (grayscale) or (N, H, W, 3) for colour models.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import ImageDecodeError
from ..preprocess.imaging import decode_image, jpeg_at_budget, resize, shrink_to, tile
from ..preprocess.uploads import Prepared, prepare_colour, prepare_digit, prepare_drawn_digit, prepare_object
from ..scoring.anomaly import squared_error
from ..training.noise import corrupt


def _labels(model, labels, n):
    if not model.is_conditional:
        return None
    if labels is None:
        raise ValueError(f"{model.name} is conditional: give a class label for each code")
    return torch.as_tensor(np.broadcast_to(np.asarray(labels), (n,)).copy()).long()


def for_display(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) tensor -> (N, H, W) or (N, H, W, 3) numpy."""
    array = images.detach().cpu().numpy().astype(np.float32)
    return array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)


def to_model_input(images: np.ndarray, image_shape) -> torch.Tensor:
    """(N, H, W), (N, H, W, 3) (display layout) or (N, C, H, W), float or uint8 -> (N, C, H, W)
    float tensor in [0, 1]."""
    array = np.asarray(images)
    array = array.astype(np.float32) / 255.0 if array.dtype == np.uint8 else array.astype(np.float32)
    if array.ndim == 3:
        array = array[:, None]
    elif array.shape[-1] == 3 and array.shape[1] != 3:
        array = array.transpose(0, 3, 1, 2)
    if array.shape[1] != image_shape[0]:
        array = np.repeat(array[:, :1], image_shape[0], axis=1)
    return torch.from_numpy(array)


@torch.no_grad()
def encode(model, images: np.ndarray, labels=None) -> np.ndarray:
    """Images -> (N, latent_dim) codes (posterior means for VAEs)."""
    x = to_model_input(images, model.config.image_shape)
    return model.encode(x, _labels(model, labels, len(x))).numpy()


@torch.no_grad()
def decode(model, codes: np.ndarray, labels=None) -> np.ndarray:
    """(N, latent_dim) or (latent_dim,) codes -> images for display."""
    z = torch.as_tensor(np.atleast_2d(np.asarray(codes, dtype=np.float32)))
    return for_display(model.decode(z, _labels(model, labels, len(z))))


@torch.no_grad()
def rebuild(model, images: np.ndarray, labels=None) -> np.ndarray:
    """(N, H, W[, 3]) images (or (N, 1, 1, T) series) in display layout -> their reconstructions,
    the same shape: model.reconstruct on numpy arrays."""
    x = to_model_input(images, model.config.image_shape)
    return for_display(model.reconstruct(x, _labels(model, labels, len(x))))


def reconstruct(model, image: np.ndarray, label=None) -> dict:
    """One (H, W) image in [0, 1] -> code, reconstruction, per-pixel squared error and its mean."""
    code = encode(model, image[None], None if label is None else [label])[0]
    recon = decode(model, code, None if label is None else [label])[0]
    error = squared_error(recon, image)
    error_map = error.mean(-1) if error.ndim == 3 else error  # colour: the mean over R, G, B
    return {"code": code, "recon": recon, "error_map": error_map, "mse": float(error.mean())}


# How each dataset's images were made, hence how an upload is prepared for a model trained on it.
PREPARATION = {
    "mnist": "digit",
    "digits": "digit",
    "fashion_mnist": "object",
    "frey": "face",
    "olivetti": "face",
    "celeba": "face",
    "image_folder": "face",
}


STEP_SIDE = 256  # the steps are for showing; kept small so a cached upload stays small


def prepare_image(gray: np.ndarray, dataset: str, image_shape, face_box=None, drawn: bool = False) -> Prepared:
    """Any-size (H, W) grey image ((H, W, 3) for a colour model, whose input is the centred square
    in colour) -> a model input like `dataset`'s training images, with the
    steps that made it (reduced to STEP_SIDE). face_box (top, left, height, width) in the working
    copy's pixels (`work_shape`) overrides face detection. drawn: the app's drawing canvas (dark
    pen on white, nothing but the digit), for digit models."""
    size = tuple(image_shape[-2:])
    style = "colour" if image_shape[0] == 3 else PREPARATION.get(dataset, "face")
    if style == "colour":
        prepared = prepare_colour(gray, size)
    elif style == "digit":
        prepared = prepare_drawn_digit(gray) if drawn else prepare_digit(gray)
        if size != (28, 28):
            prepared.image = resize(prepared.image, size)
    elif style == "object":
        prepared = prepare_object(gray, size)
    else:
        from ..preprocess.faces import prepare_face  # scikit-image's cascade is loaded only for face models

        prepared = prepare_face(gray, dataset, size, face_box)
    prepared.work_shape = prepared.steps[0][1].shape
    prepared.steps = [(label, shrink_to(step, STEP_SIDE)) for label, step in prepared.steps]
    return prepared


def prepare_upload(data: bytes, name: str, dataset: str, image_shape, face_box=None) -> dict:
    """Decode an uploaded file and prepare it like `dataset`: raw grey, model input, the steps,
    notes. Raises ImageDecodeError with a message naming the file."""
    gray, notes = decode_image(data, name, colour=image_shape[0] == 3)
    try:
        prepared = prepare_image(gray, dataset, image_shape, face_box)
    except ImageDecodeError as exc:
        raise ImageDecodeError(f"{name}: {exc}") from None
    return {
        "name": name,
        "gray": gray,
        "image": prepared.image,
        "steps": prepared.steps,
        "notes": notes + [f"{name}: {note}" for note in prepared.notes],
        "face_box": prepared.face_box,
        "work_shape": prepared.work_shape,
        "evidence": prepared.evidence,
    }


def nearest(codes: np.ndarray, code: np.ndarray, k: int = 5) -> np.ndarray:
    """Indices of the k codes closest (Euclidean) to `code`."""
    return np.argsort(np.linalg.norm(codes - code, axis=1))[:k]


def compression_readout(image: np.ndarray, latent_dim: int) -> dict:
    """The 'zip file' analogy in numbers: raw 8-bit pixels vs a float32 code, and a JPEG given
    the same byte budget as the code (JPEG's own headers alone usually exceed it)."""
    image_bytes, code_bytes = image.size, latent_dim * 4
    jpeg, jpeg_size, quality = jpeg_at_budget(image, code_bytes)
    return {
        "image_bytes": image_bytes,
        "code_bytes": code_bytes,
        "ratio": image_bytes / code_bytes,
        "jpeg": jpeg,
        "jpeg_bytes": jpeg_size,
        "jpeg_quality": quality,
        "jpeg_mse": float(np.mean((jpeg - image) ** 2)),
    }


@torch.no_grad()
def sample_grid(model, x: torch.Tensor, y=None, n: int = 10, noise: tuple | None = None, seed: int = 0) -> np.ndarray:
    """Rows: test images, (noisy inputs,) reconstructions, and for VAEs two rows of samples.
    Returns one (rows*H, n*W) float image for a PNG next to the checkpoint."""
    generator = torch.Generator().manual_seed(seed)
    x = x[:n]
    y = y[:n] if (y is not None and model.is_conditional) else None
    model_input = corrupt(x, *noise, generator=generator) if noise else x
    rows = [x, model_input] if noise else [x]
    rows.append(model.reconstruct(model_input, y))
    if model.is_variational:
        labels = torch.arange(2 * n) % max(model.config.n_classes, 1) if model.is_conditional else None
        rows.append(model.sample(2 * n, y=labels, generator=generator))  # not the global RNG: training may run
    images = for_display(torch.cat(rows))  # (rows*n, H, W) grey or (rows*n, H, W, 3) colour
    return tile(images, n_cols=n, pad=1)
