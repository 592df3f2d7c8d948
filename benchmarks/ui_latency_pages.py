"""The page visits (path and query) that the browser benchmarks make: every page of the app's one
page list (labapp.frame.PAGES), each with a model it accepts."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from labapp.frame import PAGES

MODEL_FOR_PAGE = {
    "latent_map": "mnist_conv_vae",
    "generate": "mnist_conv_vae",
    "interpolate": "mnist_conv_vae",
    "reconstruct": "mnist_conv_vae",
    "denoise": "mnist_denoising_conv_ae",
    "anomaly": "mnist_conv_ae",
    "time_series": "ecg5000_conv1d_ae",
}
VISITS = [
    page.url_path + (f"?model={MODEL_FOR_PAGE[page.key]}" if page.key in MODEL_FOR_PAGE else "") for page in PAGES
]
