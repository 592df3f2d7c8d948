"""A model like one a visitor trains on the Train page from colour photos (64 x 64 colour, the page's
default conv VAE with its default latent size), put beside the shipped checkpoints so that the
browser benchmarks drag it as they drag the shipped models (#30: every image model, including
session-trained 64x64 colour ones, at the display's rate). Its pictures are crops of scikit-image's
photographs; one epoch, as only its size matters here (the decoder's cost, the canvas's size).

    folder = with_colour_model(Path("/tmp/x"))   # shipped checkpoints (links) + colour64_conv_vae
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
MODEL_ID = "colour64_conv_vae"
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")


def photo_crops(n: int, side: int = 64, seed: int = 0) -> np.ndarray:
    """(n, 3, side, side) float32 in [0, 1]: random squares of the photographs, shrunk to `side`."""
    from PIL import Image
    from skimage import data

    rng = np.random.default_rng(seed)
    photos = [getattr(data, name)() for name in PHOTOS]
    crops = []
    for _ in range(n):
        photo = photos[rng.integers(len(photos))]
        size = int(rng.integers(96, min(photo.shape[:2])))
        top, left = (int(rng.integers(0, photo.shape[i] - size + 1)) for i in (0, 1))
        square = Image.fromarray(photo[top : top + size, left : left + size, :3]).resize((side, side))
        crops.append(np.asarray(square, np.float32).transpose(2, 0, 1) / 255)
    return np.stack(crops)


def with_colour_model(folder: Path) -> Path:
    """`folder` with links to every shipped checkpoint and a freshly trained colour64_conv_vae."""
    from aelib import TrainConfig, build_model, fit, save_checkpoint
    from aelib.datasets import ImageData
    from aelib.io.build import build_bundle
    from aelib.io.zoo import checkpoint_dir

    folder.mkdir(parents=True, exist_ok=True)
    for shipped in checkpoint_dir().iterdir():
        if not (folder / shipped.name).exists():
            (folder / shipped.name).symlink_to(shipped.resolve())
    torch.manual_seed(0)
    images = torch.from_numpy(photo_crops(300))
    data = ImageData("user_images", images[:240], images[240:])
    model = build_model("conv_vae", image_shape=list(data.image_shape), latent_dim=8)  # the Train page's defaults
    config = TrainConfig(epochs=1, batch_size=64)
    state = fit(model, data, config)
    header = {
        "dataset": data.card(),
        "train_config": asdict(config),
        "history": state.history,
        "epoch": state.epoch,
        "complete": True,
        "metrics": {},
    }
    save_checkpoint(folder / f"{MODEL_ID}.safetensors", model, header, bundle=build_bundle(model, data, n_samples=60))
    return folder
