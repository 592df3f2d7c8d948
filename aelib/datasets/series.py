"""Time series: the ECG5000 heartbeats (UCR archive text format).

A beat of 140 samples is one item of shape (1, 1, 140); values are real, so models for them
use likelihood="gaussian" and output="identity".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from ..registry import register_dataset
from .base import ImageData, as_rows

ECG_CLASSES = ["abnormal, class unknown", "normal", "R-on-T PVC", "PVC", "SP or EB", "unclassified beat"]


@register_dataset("ecg5000")
def load_ecg5000(root=None, download=False) -> ImageData:
    """ECG5000 heartbeats (UCR): 140 samples each; class 1 normal, 2-5 abnormal (0: abnormal, class unknown)."""
    folder = (root or Path("data")) / "ECG5000"
    test_file = next(
        (folder / n for n in ("ECG5000_TEST.txt", "ECG5000_TEST_reconstructed.txt") if (folder / n).exists()), None
    )
    if not (folder / "ECG5000_TRAIN.txt").exists() or test_file is None:
        raise DataError(f"ecg5000: {folder}/ECG5000_TRAIN.txt and ECG5000_TEST.txt not found (UCR archive text format)")
    parts = {}
    for split_name, path in (("train", folder / "ECG5000_TRAIN.txt"), ("test", test_file)):
        table = np.loadtxt(path)
        parts[f"x_{split_name}"] = as_rows(table[:, 1:])
        parts[f"y_{split_name}"] = torch.from_numpy(table[:, 0].astype(np.int64))
    return ImageData("ecg5000", class_names=ECG_CLASSES, info={"kind": "series"}, **parts)
