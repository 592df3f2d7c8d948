"""What every autoencoder shares: the encode/decode/forward/loss contract and the likelihoods.

Shapes: images x are (B, C, H, W) floats in [0, 1]; codes z are (B, latent_dim);
labels y are (B,) int64 and only used by conditional models.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

LIKELIHOODS = ("bernoulli", "gaussian")
OUTPUTS = ("sigmoid", "identity")


@dataclass
class AEConfig:
    image_shape: tuple = (1, 28, 28)  # (C, H, W)
    latent_dim: int = 16
    likelihood: str = "bernoulli"  # bernoulli for [0,1] images; gaussian = scaled MSE
    sigma: float = 0.1  # decoder std for the gaussian likelihood
    n_classes: int = 0  # > 0 only for conditional models
    output: str = "sigmoid"  # "identity" for real-valued data (standardised series, tables)

    def __post_init__(self):
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        if self.output == "identity" and self.likelihood == "bernoulli":
            raise ValueError("a bernoulli likelihood needs output='sigmoid'; use likelihood='gaussian'")
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {self.latent_dim}")


def log_likelihood(logits: torch.Tensor, x: torch.Tensor, kind: str, sigma: float = 0.1, output: str = "sigmoid"):
    """log p(x | z) per image, in nats: (B, C, H, W) -> (B,)."""
    if kind == "bernoulli":
        ll = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    else:
        mean = torch.sigmoid(logits) if output == "sigmoid" else logits
        ll = -0.5 * ((x - mean) / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))
    return ll.flatten(1).sum(1)


class AutoEncoder(nn.Module):
    """Deterministic autoencoder. Subclasses build self.encoder / self.decoder.

    encoder: (B, C, H, W) [+ labels] -> (B, code_width); decoder: (B, latent_dim) -> logits.
    """

    Config = AEConfig
    name = "autoencoder"
    is_variational = False
    is_conditional = False
    for_images = True  # False for models of 1-D sequences (series and table rows)

    def __init__(self, config: AEConfig):
        super().__init__()
        self.config = config

    def _features(self, x, y=None):
        return self.encoder(x)

    def encode(self, x: torch.Tensor, y=None) -> torch.Tensor:
        """(B, C, H, W) -> (B, latent_dim); the posterior mean for VAEs."""
        return self._features(x, y)

    def decode_logits(self, z: torch.Tensor, y=None) -> torch.Tensor:
        return self.decoder(z)

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.config.output == "sigmoid" else logits

    def decode(self, z: torch.Tensor, y=None) -> torch.Tensor:
        """(B, latent_dim) -> (B, C, H, W): an image in [0, 1], or real values with output='identity'."""
        return self.activate(self.decode_logits(z, y))

    def reconstruct(self, x: torch.Tensor, y=None) -> torch.Tensor:
        """(B, C, H, W) -> (B, C, H, W): decode(encode(x)), through the posterior mean for VAEs."""
        return self.decode(self.encode(x, y), y)

    def forward(self, x, y=None) -> dict:
        z = self.encode(x, y)
        logits = self.decode_logits(z, y)
        return {"z": z, "logits": logits, "recon": self.activate(logits)}

    def recon_loss(self, logits, target):
        cfg = self.config
        return -log_likelihood(logits, target, cfg.likelihood, cfg.sigma, cfg.output)

    def extra_losses(self, out: dict) -> dict:
        return {}

    def loss(self, x, target=None, y=None, kl_scale: float = 1.0) -> dict:
        """Mean over the batch of named parts (nats per image); 'loss' is what to minimise.

        target is the clean image when x was corrupted (denoising); it defaults to x.
        """
        out = self(x, y)
        target = x if target is None else target
        parts = {"recon": self.recon_loss(out["logits"], target).mean()}
        parts.update(self.extra_losses(out))
        parts["loss"] = sum(parts.values())
        return parts


class VAEBase(AutoEncoder):
    """Gaussian-posterior VAE (Kingma & Welling 2014). The encoder emits 2*latent_dim numbers."""

    is_variational = True

    def posterior(self, x, y=None):
        mu, logvar = self._features(x, y).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)  # keeps exp() finite early in training

    def encode(self, x, y=None):
        return self.posterior(x, y)[0]

    def forward(self, x, y=None) -> dict:
        mu, logvar = self.posterior(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()  # reparameterisation trick
        logits = self.decode_logits(z, y)
        return {"z": z, "mu": mu, "logvar": logvar, "logits": logits, "recon": self.activate(logits)}

    def loss(self, x, target=None, y=None, kl_scale: float = 1.0) -> dict:
        out = self(x, y)
        target = x if target is None else target
        recon = self.recon_loss(out["logits"], target).mean()
        kl = kl_per_dim(out["mu"], out["logvar"]).sum(1).mean()
        loss = recon + kl_scale * self.config.beta * kl
        return {"recon": recon, "kl": kl, "elbo": -(recon + kl), "loss": loss}

    @torch.no_grad()
    def sample(self, n_samples: int, y=None, temperature: float = 1.0, generator=None):
        """Decode z ~ N(0, temperature^2 I): returns (n_samples, C, H, W) in [0, 1]."""
        device = next(self.parameters()).device
        z = torch.randn(n_samples, self.config.latent_dim, generator=generator, device=device)
        return self.decode(z * temperature, y)

    @torch.no_grad()
    def iw_log_likelihood(self, x, y=None, k: int = 1000, chunk: int = 250):
        """Importance-weighted estimate of log p(x) per image (Burda et al. 2015, eq. 8): (B,).

        log p(x) >= log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x); tighter as k grows.
        """
        mu, logvar = self.posterior(x, y)
        std = (0.5 * logvar).exp()
        log_w = []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            eps = torch.randn(n, *mu.shape, device=mu.device)
            z = mu + eps * std  # (n, B, D)
            log_q = _std_normal_logpdf(eps).sum(-1) - (0.5 * logvar).sum(-1)
            log_prior = _std_normal_logpdf(z).sum(-1)
            flat_z = z.reshape(-1, mu.shape[1])
            flat_y = None if y is None else y.repeat(n)
            logits = self.decode_logits(flat_z, flat_y)
            flat_x = x.repeat(n, 1, 1, 1)
            cfg = self.config
            log_px = log_likelihood(logits, flat_x, cfg.likelihood, cfg.sigma, cfg.output)
            log_w.append(log_px.view(n, -1) + log_prior - log_q)
        log_w = torch.cat(log_w, 0)
        return torch.logsumexp(log_w, 0) - math.log(k)


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) of a diagonal Gaussian, per dimension: (N, D) -> (N, D), in nats.
    Closed form, Kingma & Welling 2014, appendix B."""
    return -0.5 * (1 + logvar - mu**2 - logvar.exp())


def _std_normal_logpdf(z):
    return -0.5 * z**2 - 0.5 * math.log(2 * math.pi)


def mlp(sizes: list[int], final_activation: bool = False) -> nn.Sequential:
    layers = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)
