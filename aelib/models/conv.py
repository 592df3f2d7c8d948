"""Convolutional models: conv_ae, conv_vae, and the label-conditional cvae.

Each stride-2 stage halves height and width; we stack stages while both stay even and
above 7, so 28x28 -> 7x7, 28x20 (Frey) -> 7x5 and 64x64 -> 4x4 share one definition.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import register_model
from .base import AEConfig, AutoEncoder, VAEBase
from .dense import _Unflatten


@dataclass
class ConvConfig(AEConfig):
    channels: tuple = (32, 64)  # per stride-2 stage; extended with the last value if more fit
    fc_hidden: int = 256


def conv_plan(config) -> tuple[list[int], tuple[int, int]]:
    """Channel widths of each stage and the (h, w) grid left after them."""
    _, h, w = config.image_shape
    widths = []
    while h % 2 == 0 and w % 2 == 0 and min(h, w) > 7 and len(widths) < 5:
        widths.append(config.channels[min(len(widths), len(config.channels) - 1)])
        h, w = h // 2, w // 2
    return widths, (h, w)


def conv_encoder(config, out_dim: int, extra_in: int = 0) -> tuple[nn.Module, nn.Module]:
    """Returns (conv trunk -> flat features, head taking features [+ extra_in] -> out_dim)."""
    widths, (h, w) = conv_plan(config)
    layers, c_in = [], config.image_shape[0]
    for c_out in widths:
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
        c_in = c_out
    trunk = nn.Sequential(*layers, nn.Flatten())
    head = nn.Sequential(
        nn.Linear(c_in * h * w + extra_in, config.fc_hidden), nn.LeakyReLU(0.2), nn.Linear(config.fc_hidden, out_dim)
    )
    return trunk, head


def conv_decoder(config, extra_in: int = 0) -> nn.Sequential:
    widths, (h, w) = conv_plan(config)
    widths = widths[::-1]
    layers = [
        nn.Linear(config.latent_dim + extra_in, config.fc_hidden),
        nn.ReLU(),
        nn.Linear(config.fc_hidden, widths[0] * h * w),
        nn.ReLU(),
        _Unflatten((widths[0], h, w)),
    ]
    for c_in, c_out in itertools.pairwise(widths):
        layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU()]
    layers.append(nn.ConvTranspose2d(widths[-1], config.image_shape[0], 4, 2, 1))
    return nn.Sequential(*layers)


class _ConvBody:
    """Mixin that wires the conv trunk and head into the AutoEncoder contract."""

    def _build(self, config, code_width: int, extra_in: int = 0):
        self.trunk, self.head = conv_encoder(config, code_width, extra_in)
        self.decoder = conv_decoder(config, extra_in)

    def _features(self, x, y=None):
        return self.head(self.trunk(x))


@register_model("conv_ae")
class ConvAE(_ConvBody, AutoEncoder):
    """Convolutional autoencoder: stride-2 conv stages, a dense bottleneck, transposed convs."""

    Config = ConvConfig

    def __init__(self, config: ConvConfig):
        super().__init__(config)
        self._build(config, config.latent_dim)


@dataclass
class ConvVAEConfig(ConvConfig):
    beta: float = 1.0


@register_model("conv_vae")
class ConvVAE(_ConvBody, VAEBase):
    """Convolutional VAE with a diagonal Gaussian posterior; beta > 1 gives a beta-VAE."""

    Config = ConvVAEConfig

    def __init__(self, config: ConvVAEConfig):
        super().__init__(config)
        self._build(config, 2 * config.latent_dim)


@dataclass
class CVAEConfig(ConvVAEConfig):
    n_classes: int = 10


@register_model("cvae")
class ConditionalVAE(_ConvBody, VAEBase):
    """Conditional VAE (Sohn et al. 2015): the label goes into both q(z|x,y) and p(x|z,y),
    so z is free to encode style (slant, thickness) while y fixes the class."""

    Config = CVAEConfig
    is_conditional = True

    def __init__(self, config: CVAEConfig):
        super().__init__(config)
        if config.n_classes < 2:
            raise ValueError("cvae needs n_classes >= 2")
        self._build(config, 2 * config.latent_dim, extra_in=config.n_classes)

    def _one_hot(self, y, n):
        if y is None:
            raise ValueError("cvae needs class labels y: decode(z, y) / encode(x, y)")
        y = torch.as_tensor(y, device=self.head[0].weight.device).long().reshape(-1)
        return F.one_hot(y.expand(n) if y.numel() == 1 else y, self.config.n_classes).float()

    def _features(self, x, y=None):
        features = self.trunk(x)
        return self.head(torch.cat([features, self._one_hot(y, x.shape[0])], 1))

    def decode_logits(self, z, y=None):
        return self.decoder(torch.cat([z, self._one_hot(y, z.shape[0])], 1))
