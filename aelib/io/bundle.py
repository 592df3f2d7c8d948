"""The explorer bundle: what the app needs to open a model instantly, precomputed when the
checkpoint is written (aelib.io.build.build_bundle) and stored beside its weights.

Shapes (N test items sampled, M training items, D = latent_dim, (C, H, W) the image shape).
Every array is optional when a file is read: a page that needs one says so; `problems(...,
complete=True)` lists what a freshly built bundle must have.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from .checks import MAX_CLASSES

if TYPE_CHECKING:  # imported where used: `import aelib` (checkpoint -> bundle) must not import aelib.explore or
    # aelib.scoring, or a page importing one of those in another thread deadlocks on the package locks
    # (seen in benchmarks/load.py: _DeadlockError on aelib.explore.latent)
    from ..explore.latent import PrincipalAxes
    from ..scoring.label_head import LabelHead

# Arrays that must be finite wherever a bundle has them: a NaN code breaks the SVD behind principal
# directions, and NaN written into the browser's JSON breaks the live map.
FLOAT_KEYS = ("codes", "dim_score", "pca", "pca_mean", "pca_components", "tsne", "score", "train_score",
              "ood_score", "signals", "train_codes", "map_tsne")  # fmt: skip
# What build_bundle always writes (besides images or signals).
REQUIRED = ("test_index", "codes", "dim_score", "pca", "pca_mean", "pca_components", "tsne", "score", "train_score")


@dataclass(frozen=True)
class Bundle:
    images: np.ndarray | None = None  # (N, C, H, W) uint8: the sampled test images, as the app shows them
    signals: np.ndarray | None = None  # (N, L) float32: instead of images, for series and table models
    labels: np.ndarray | None = None  # (N,) int64, when the data set has labels
    test_index: np.ndarray | None = None  # (N,) their rows in the test split
    codes: np.ndarray | None = None  # (N, D) float32
    dim_score: np.ndarray | None = None  # (D,) how much each latent dimension is used (KL or variance)
    pca: np.ndarray | None = None  # (N, 2) the codes on their principal plane
    pca_mean: np.ndarray | None = None  # (D,)  } that plane (see `plane`)
    pca_components: np.ndarray | None = None  # (2, D) }
    tsne: np.ndarray | None = None  # (N, 2) openTSNE of the codes
    score: np.ndarray | None = None  # (N,) reconstruction error per item: the anomaly score
    train_score: np.ndarray | None = None  # (M',) the same score on training items (threshold presets)
    ood_images: np.ndarray | None = None  # (N/2, C, H, W) uint8: out-of-distribution images
    ood_score: np.ndarray | None = None  # (N/2,) their scores
    # Training images encoded too, for the latent map of a small data set (all 400 Olivetti faces):
    train_images: np.ndarray | None = None  # (M, C, H, W) uint8
    train_codes: np.ndarray | None = None  # (M, D)
    train_labels: np.ndarray | None = None  # (M,)
    train_index: np.ndarray | None = None  # (M,)
    map_tsne: np.ndarray | None = None  # (N + M, 2) the t-SNE of test and training codes together
    # The label a code reads as: a small classifier trained on the training images' codes
    # (aelib.scoring.label_head; labelled, unconditional image models), with its biases as last rows:
    label_head_hidden: np.ndarray | None = None  # (D + 1, H)
    label_head_out: np.ndarray | None = None  # (H + 1, C)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Bundle:
        """From a checkpoint's arrays by name (names this version does not know are ignored)."""
        return cls(**{k: v for k, v in arrays.items() if k in KEYS})

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays it has, by name (what a checkpoint stores)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @property
    def items(self) -> np.ndarray | None:
        """The test items: images, or signals for a series or table model."""
        return self.images if self.images is not None else self.signals

    @property
    def plane(self) -> PrincipalAxes:
        """The latent map's principal plane (the first two principal axes of the test codes)."""
        from ..explore.latent import PrincipalAxes

        coords = self.pca if self.pca is not None else (self.codes - self.pca_mean) @ self.pca_components.T
        return PrincipalAxes(self.pca_mean, self.pca_components, coords.std(0, ddof=1).astype(np.float32))

    @property
    def label_head(self) -> LabelHead | None:
        """The stored label classifier, or None (older files, unlabelled or conditional models)."""
        if self.label_head_hidden is None or self.label_head_out is None:
            return None
        from ..scoring.label_head import LabelHead

        return LabelHead(self.label_head_hidden, self.label_head_out)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays().values())

    def read_only(self) -> Bundle:
        """Marks every array read-only (one copy is shared by every page and session) and returns self."""
        for array in self.arrays().values():
            array.flags.writeable = False
        return self


KEYS = tuple(f.name for f in fields(Bundle))


def expected_shapes(arrays: dict[str, np.ndarray], latent_dim: int, image_shape=None) -> dict[str, tuple]:
    """The shape each array must have, given the others' lengths and the model's sizes."""
    items = arrays.get("images", arrays.get("signals"))
    n = len(items) if items is not None else len(next(iter(arrays.values()), ()))
    m = len(arrays["train_codes"]) if "train_codes" in arrays else 0
    shapes = {
        "test_index": (n,),
        "labels": (n,),
        "codes": (n, latent_dim),
        "dim_score": (latent_dim,),
        "pca": (n, 2),
        "pca_mean": (latent_dim,),
        "pca_components": (2, latent_dim),
        "tsne": (n, 2),
        "score": (n,),
        "train_codes": (m, latent_dim),
        "train_index": (m,),
        "train_labels": (m,),
        "map_tsne": (n + m, 2),
    }
    pixels = tuple(image_shape) if image_shape is not None else (items.shape[1:] if items is not None else None)
    if pixels is not None and "images" in arrays:
        shapes |= {"images": (n, *pixels), "train_images": (m, *pixels)}
    return shapes


def problems(
    arrays: dict[str, np.ndarray], latent_dim: int, image_shape=None, n_classes: int = 0, complete: bool = False
) -> list[str]:
    """What is wrong with a bundle's arrays by name; [] when sound. Shapes agree with each other and
    the model, floats are finite, labels in range, images uint8. complete: also every array
    build_bundle writes (and, with training images, their codes, index, labels and joint t-SNE)."""
    items = arrays.get("images", arrays.get("signals"))
    if items is not None and len(items) == 0:
        return ["bundle has no images or signals"]
    found = []
    if complete:
        needed = ["images" if "images" in arrays else "signals", *REQUIRED]
        if "train_codes" in arrays:
            needed += ["train_index", "map_tsne"] + ["train_images"] * ("images" in arrays)
            needed += ["train_labels"] * ("labels" in arrays)
        found += [f"missing array {k!r}" for k in needed if k not in arrays]
    for key, shape in expected_shapes(arrays, latent_dim, image_shape).items():
        if key in arrays and tuple(arrays[key].shape) != shape:
            found.append(f"{key} has shape {tuple(arrays[key].shape)}, expected {shape}")
    for key in FLOAT_KEYS:
        if key in arrays and (arrays[key].dtype.kind != "f" or not np.isfinite(arrays[key]).all()):
            found.append(f"{key} must be finite numbers")
    high = n_classes or MAX_CLASSES
    for key in ("labels", "train_labels"):
        labels = arrays.get(key)
        if labels is None:
            continue
        if labels.dtype.kind not in "iu" or labels.size and (labels.min() < 0 or labels.max() >= high):
            found.append(f"{key} must be integers from 0 to {high - 1}")
    for key in ("images", "train_images", "ood_images"):
        if key in arrays and arrays[key].dtype != np.uint8:
            found.append(f"{key} are {arrays[key].dtype}, expected uint8")
    from ..scoring.label_head import head_problems

    return found + head_problems(arrays, latent_dim, n_classes, MAX_CLASSES)


@dataclass(frozen=True)
class MapPoints:
    """What the latent map draws: the test sample, then the training images the bundle also encoded."""

    codes: np.ndarray  # (N, D)
    labels: np.ndarray | None  # (N,)
    images: np.ndarray | None  # (N, C, H, W), None for series
    train: np.ndarray  # (N,) bool: a training image
    pca: np.ndarray  # (N, 2) on the test codes' plane
    tsne: np.ndarray | None  # (N, 2)


def map_points(bundle: Bundle) -> MapPoints:
    """The bundle's points for the latent map (without training images: the test arrays)."""
    test_only = np.zeros(len(bundle.codes), bool)
    if bundle.train_codes is None:
        return MapPoints(bundle.codes, bundle.labels, bundle.images, test_only, bundle.pca, bundle.tsne)
    labels = None
    if bundle.labels is not None and bundle.train_labels is not None:
        labels = np.concatenate([bundle.labels, bundle.train_labels])
    codes = np.concatenate([bundle.codes, bundle.train_codes])
    return MapPoints(
        codes=codes,
        labels=labels,
        images=np.concatenate([bundle.images, bundle.train_images]),
        train=np.r_[test_only, np.ones(len(bundle.train_codes), bool)],
        pca=bundle.plane.transform(codes),
        tsne=bundle.map_tsne,
    )
