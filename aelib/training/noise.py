"""Input corruption for denoising autoencoders (Vincent et al. 2008) and the denoising lab."""

from __future__ import annotations

import torch

NOISE_KINDS = ("gaussian", "salt_pepper", "masking")


def parse_noise(spec: str | None) -> tuple[str, float] | None:
    """'gaussian:0.5' -> ('gaussian', 0.5); None or '' -> None."""
    if not spec:
        return None
    kind, _, level = spec.partition(":")
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise {kind!r}; valid: {', '.join(NOISE_KINDS)} (e.g. gaussian:0.5)")
    try:
        value = float(level) if level else 0.5
    except ValueError:
        raise ValueError(f"noise level must be a number, got {level!r} in {spec!r}") from None
    if not 0 <= value <= (10 if kind == "gaussian" else 1):
        raise ValueError(f"noise level {value} out of range for {kind}")
    return kind, value


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return a corrupted copy of x (B, C, H, W) in [0, 1].

    gaussian: add N(0, level^2) and clip; salt_pepper: a `level` fraction of pixels set to 0 or 1;
    masking: a `level` fraction of pixels set to 0 (the "masking noise" of Vincent et al.).
    """
    rand = lambda: torch.rand(x.shape, generator=generator, device=x.device)  # noqa: E731
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, device=x.device)
        return (x + level * noise).clamp(0, 1)
    if kind == "salt_pepper":
        hit, salt = rand() < level, rand() < 0.5
        return torch.where(hit, salt.to(x.dtype), x)
    if kind == "masking":
        return x * (rand() >= level).to(x.dtype)
    raise ValueError(f"unknown noise {kind!r}; valid: {', '.join(NOISE_KINDS)}")
