"""Latent-space tools for the explorer: 2-D maps and their inverses, interpolation, traversals.

All functions take and return numpy arrays; codes are (N, latent_dim) float32.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


@dataclass(frozen=True)
class PrincipalAxes:
    """Principal axes of a set of codes, largest spread first: the latent map's plane is the first
    two, the Generate page's sliders all of them. JS twins: pcaInverse, toPrincipal, setPrincipal
    in latent_control/frontend/maths.js (tests/test_browser_maths.py checks they agree)."""

    mean: np.ndarray  # (D,)
    directions: np.ndarray  # (K, D), orthonormal rows
    std: np.ndarray  # (K,), the codes' standard deviation along each direction

    @classmethod
    def fit(cls, codes: np.ndarray, k: int | None = None) -> PrincipalAxes:
        """Axes of (N, D) codes, the first k (all when None; at least two, padded with a flat
        direction for a 1-D latent so the map always has a plane)."""
        mean = codes.mean(0)
        _, s, vt = np.linalg.svd(codes - mean, full_matrices=False)
        std = s / np.sqrt(max(len(codes) - 1, 1))
        if vt.shape[0] < 2:
            vt, std = np.vstack([vt, np.zeros_like(vt)]), np.r_[std, 0.0]
        return cls(mean.astype(np.float32), vt[:k].astype(np.float32), std[:k].astype(np.float32))

    def first(self, k: int) -> PrincipalAxes:
        """The first k axes (the map's plane is the first two)."""
        return PrincipalAxes(self.mean, self.directions[:k], self.std[:k])

    def transform(self, codes: np.ndarray) -> np.ndarray:
        """(N, D) codes -> (N, K) coordinates along the axes (not scaled by std)."""
        return ((codes - self.mean) @ self.directions.T).astype(np.float32)

    def inverse(self, coords: np.ndarray) -> np.ndarray:
        """(N, k) coordinates along the first k axes -> (N, D) codes; exact on the span of those axes."""
        coords = np.atleast_2d(coords)
        return (self.mean + coords @ self.directions[: coords.shape[1]]).astype(np.float32)

    def to_principal(self, code: np.ndarray, k: int) -> np.ndarray:
        """Where `code` (D,) sits along the first k axes, in standard deviations: (k,)."""
        offset = np.asarray(code, np.float32) - self.mean
        return (offset @ self.directions[:k].T / np.maximum(self.std[:k], 1e-8)).astype(np.float32)

    def from_principal(self, amounts: np.ndarray) -> np.ndarray:
        """Code at `amounts` standard deviations along each of the first k axes: (k,) -> (D,)."""
        amounts = np.asarray(amounts, dtype=np.float32)
        return (self.mean + (amounts * self.std[: len(amounts)]) @ self.directions[: len(amounts)]).astype(np.float32)

    def set_principal(self, code: np.ndarray, i: int, amount: float) -> np.ndarray:
        """`code` moved along axis i until it sits `amount` std from the mean there; every other
        axis keeps its value, so the principal sliders and per-dimension sliders share one code."""
        current = self.to_principal(code, i + 1)[i]
        return (np.asarray(code, np.float32) + (amount - current) * self.std[i] * self.directions[i]).astype(np.float32)


def neighbour_blend(map_coords: np.ndarray, codes: np.ndarray, point, k: int = 8) -> np.ndarray:
    """Code for an arbitrary spot on a non-invertible map (t-SNE): inverse-distance
    weighted mean of the codes of the k nearest map points. Returns (D,)."""
    distances = np.linalg.norm(map_coords - np.asarray(point, dtype=np.float32), axis=1)
    nearest = np.argsort(distances)[:k]
    if distances[nearest[0]] < 1e-9:
        return codes[nearest[0]].astype(np.float32)
    weights = 1.0 / distances[nearest]
    return (weights @ codes[nearest] / weights.sum()).astype(np.float32)


def lerp(z0: np.ndarray, z1: np.ndarray, t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=np.float32)[:, None]
    return ((1 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation (Shoemake 1985; White 2016 for generative models): keeps the
    norm typical of a Gaussian prior, where the straight line passes through the low-norm centre."""
    t = np.asarray(t, dtype=np.float64)[:, None]
    a, b = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return lerp(z0, z1, t[:, 0])
    out = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return out.astype(np.float32)


def interpolate(z0, z1, n_steps: int, method: str = "linear") -> np.ndarray:
    """(n_steps, D) codes from z0 to z1 inclusive; method 'linear' or 'spherical'."""
    if n_steps < 2:
        raise ValueError("n_steps must be at least 2")
    methods = {"linear": lerp, "spherical": slerp}
    if method not in methods:
        raise ValueError(f"unknown interpolation {method!r}; valid: {', '.join(methods)}")
    return methods[method](np.asarray(z0), np.asarray(z1), np.linspace(0.0, 1.0, n_steps))


def traversal(z: np.ndarray, dim: int, values: np.ndarray) -> np.ndarray:
    """Copies of z with dimension `dim` set to each value: (len(values), D)."""
    codes = np.repeat(np.asarray(z, np.float32)[None], len(values), axis=0)
    codes[:, dim] = values
    return codes


def manifold_grid(n: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """(n*n, 2) codes on the inverse normal CDF of an even grid (Kingma & Welling 2014, fig. 4):
    equal probability mass between neighbours under the N(0, I) prior. Row-major, top row first."""
    quantiles = np.array([NormalDist().inv_cdf(p) for p in np.linspace(low, high, n)], np.float32)
    ys, xs = np.meshgrid(quantiles[::-1], quantiles, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], 1)


def informative_dims(dim_scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest-scoring latent dimensions (scores: KL or variance per dim)."""
    return np.argsort(-np.asarray(dim_scores))[:k]


def tsne(codes: np.ndarray, random_state: int = 0, n_jobs: int = 1, callback=None) -> np.ndarray:
    """2-D t-SNE of the codes with openTSNE (FFT-accelerated; Policar et al. 2024). (N, D) -> (N, 2).

    callback(iteration, n_iterations) is called during optimisation (for progress bars).
    """
    from openTSNE import TSNE

    n_iter = 750
    calls = [0]

    def report(iteration, error, embedding):
        calls[0] += 1
        if callback:
            callback(min(calls[0] * 50, n_iter), n_iter)

    perplexity = float(min(30, max(2, (len(codes) - 1) / 3)))
    model = TSNE(
        perplexity=perplexity,
        random_state=random_state,
        n_jobs=n_jobs,
        callbacks=report if callback else None,
        callbacks_every_iters=50,
        verbose=False,
    )
    return np.asarray(model.fit(np.asarray(codes, dtype=np.float64)), dtype=np.float32)


def code_to_text(code: np.ndarray) -> str:
    """A code as a short URL-safe string: float16, little-endian, base64url without padding
    (16 dimensions -> 43 characters). float16 keeps 3 significant digits, far below what a decoded
    image shows."""
    data = np.asarray(code, dtype="<f2").tobytes()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def code_from_text(text: str, latent_dim: int) -> np.ndarray:
    """Inverse of `code_to_text`: (latent_dim,) float32. ValueError with the reason when the text is
    not such a code, is for another latent size, or holds non-finite values."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("the code in the link is not valid base64") from exc
    if len(data) != 2 * latent_dim:
        n = len(data) // 2
        raise ValueError(f"the code in the link has {n} value{'' if n == 1 else 's'}; this model takes {latent_dim}")
    code = np.frombuffer(data, dtype="<f2").astype(np.float32)
    if not np.all(np.isfinite(code)):
        raise ValueError("the code in the link holds values that are not finite numbers")
    return code


def index_from_text(text: str | None, n: int) -> int | None:
    """A class index typed in a text box or a URL (`&label=3`): the int when `text` is 1-6 ASCII
    digits naming 0..n-1, else None. (str.isdigit accepts "²", which int() refuses, and int() of
    5,000 digits raises: neither reaches int() here.)"""
    text = (text or "").strip()
    if not 1 <= len(text) <= 6 or not text.isascii() or not text.isdecimal():
        return None
    value = int(text)
    return value if value < n else None


def code_bounds(codes: np.ndarray, variational: bool) -> tuple[np.ndarray, np.ndarray]:
    """The latent sliders' range per dimension, (D,) low and high, from (N, D) test codes: +-3.5
    for a VAE (its prior is N(0, I)), else the codes' 0.5th to 99.5th percentiles (a plain AE's
    codes have any scale; one outlier must not stretch a slider)."""
    latent_dim = codes.shape[1]
    if variational:
        return np.full(latent_dim, -3.5), np.full(latent_dim, 3.5)
    low, high = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
    return np.minimum(low, high - 1e-3), high
