"""Fully connected models: ae, sparse_ae, vae (the pytorch/examples VAE is vae with hidden=(400,))."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..registry import register_model
from .base import AEConfig, AutoEncoder, VAEBase, mlp


@dataclass
class DenseConfig(AEConfig):
    hidden: tuple = (512, 256)


def _n_pixels(config) -> int:
    return math.prod(config.image_shape)


class _Unflatten(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.view(x.shape[0], *self.shape)


def dense_encoder(config, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), mlp([_n_pixels(config), *config.hidden, out_dim]))


def dense_decoder(config) -> nn.Sequential:
    sizes = [config.latent_dim, *reversed(config.hidden), _n_pixels(config)]
    return nn.Sequential(mlp(sizes), _Unflatten(config.image_shape))


@register_model("ae")
class DenseAE(AutoEncoder):
    """Plain MLP autoencoder: pixels -> hidden layers -> code -> mirrored layers -> pixels."""

    Config = DenseConfig

    def __init__(self, config: DenseConfig):
        super().__init__(config)
        self.encoder = dense_encoder(config, config.latent_dim)
        self.decoder = dense_decoder(config)


@dataclass
class SparseConfig(DenseConfig):
    sparsity: str = "l1"  # "l1" on code activations, or "kl" to a target firing rate
    sparsity_weight: float = 1e-3
    target_rate: float = 0.05  # rho for the KL penalty

    def __post_init__(self):
        super().__post_init__()
        if self.sparsity not in ("l1", "kl"):
            raise ValueError(f"sparsity must be 'l1' or 'kl', got {self.sparsity!r}")


@register_model("sparse_ae")
class SparseAE(AutoEncoder):
    """Overcomplete-friendly AE whose code is pushed towards few active units (Ng, CS294A notes)."""

    Config = SparseConfig

    def __init__(self, config: SparseConfig):
        super().__init__(config)
        # The KL penalty treats each unit as a firing rate, so it needs codes in (0, 1).
        activation = nn.Sigmoid() if config.sparsity == "kl" else nn.ReLU()
        self.encoder = nn.Sequential(dense_encoder(config, config.latent_dim), activation)
        self.decoder = dense_decoder(config)

    def extra_losses(self, out: dict) -> dict:
        z, cfg = out["z"], self.config
        if cfg.sparsity == "l1":
            penalty = z.abs().sum(1).mean()
        else:
            rho, rho_hat = cfg.target_rate, z.mean(0).clamp(1e-6, 1 - 1e-6)
            penalty = (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
        return {"sparsity": cfg.sparsity_weight * penalty}


@dataclass
class VAEConfig(DenseConfig):
    beta: float = 1.0  # beta-VAE weight on the KL term (Higgins et al. 2017)


@register_model("vae")
class DenseVAE(VAEBase):
    """MLP VAE; with hidden=(400,) and latent_dim=20 it is the pytorch/examples VAE."""

    Config = VAEConfig

    def __init__(self, config: VAEConfig):
        super().__init__(config)
        self.encoder = dense_encoder(config, 2 * config.latent_dim)
        self.decoder = dense_decoder(config)
