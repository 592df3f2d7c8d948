"""Models for fixed-length sequences: lstm_ae and conv1d_ae.

Inputs keep the library's (B, C, H, W) layout: a series of length L is (B, 1, 1, L). Both models
read the last axis as time and the C*H values at each step as its features, so they also accept
images (read column by column) and pass the registry-wide contract tests unchanged.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from ..registry import register_model
from .base import AEConfig, AutoEncoder


def _steps(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, W, C*H): one feature vector per time step."""
    b, c, h, w = x.shape
    return x.reshape(b, c * h, w).transpose(1, 2)


def _unsteps(seq: torch.Tensor, shape) -> torch.Tensor:
    c, h, w = shape
    return seq.transpose(1, 2).reshape(seq.shape[0], c, h, w)


@dataclass
class LSTMConfig(AEConfig):
    hidden_size: int = 64
    num_layers: int = 1


@register_model("lstm_ae")
class LSTMAutoEncoder(AutoEncoder):
    """Sequence-to-sequence LSTM autoencoder (Srivastava et al. 2015): the encoder's last state
    becomes the code; the decoder unrolls from the code repeated at every time step."""

    Config = LSTMConfig
    for_images = False

    def __init__(self, config: LSTMConfig):
        super().__init__(config)
        c, h, _ = config.image_shape
        self.encoder_rnn = nn.LSTM(c * h, config.hidden_size, config.num_layers, batch_first=True)
        self.to_code = nn.Linear(config.hidden_size, config.latent_dim)
        self.from_code = nn.Linear(config.latent_dim, config.hidden_size)
        self.decoder_rnn = nn.LSTM(config.hidden_size, config.hidden_size, config.num_layers, batch_first=True)
        self.to_values = nn.Linear(config.hidden_size, c * h)

    def _features(self, x, y=None):
        _, (hidden, _) = self.encoder_rnn(_steps(x))
        return self.to_code(hidden[-1])

    def decode_logits(self, z, y=None):
        n_steps = self.config.image_shape[2]
        inputs = self.from_code(z)[:, None, :].expand(-1, n_steps, -1)
        outputs, _ = self.decoder_rnn(inputs.contiguous())
        return _unsteps(self.to_values(outputs), self.config.image_shape)


@dataclass
class Conv1DConfig(AEConfig):
    channels: tuple = (32, 64)
    kernel_size: int = 7


@register_model("conv1d_ae")
class Conv1DAutoEncoder(AutoEncoder):
    """1-D convolutional autoencoder for fixed-length series: stride-2 stages while the length
    stays even (140 -> 70 -> 35), a dense code, then upsample-and-convolve back to full length."""

    Config = Conv1DConfig
    for_images = False

    def __init__(self, config: Conv1DConfig):
        super().__init__(config)
        c, h, length = config.image_shape
        n_stages = 0
        while length % 2 == 0 and length > 8 and n_stages < len(config.channels):
            length, n_stages = length // 2, n_stages + 1
        widths = list(config.channels[: max(n_stages, 1)])
        stride, k, pad = (2 if n_stages else 1), config.kernel_size, config.kernel_size // 2
        layers, c_in = [], c * h
        for c_out in widths:
            layers += [nn.Conv1d(c_in, c_out, k, stride, pad), nn.ReLU()]  # odd k, pad k//2: halves exactly
            c_in = c_out
        self.encoder = nn.Sequential(*layers, nn.Flatten(), nn.Linear(widths[-1] * length, config.latent_dim))
        self.from_code = nn.Linear(config.latent_dim, widths[-1] * length)
        layers = []
        for c_in, c_out in itertools.pairwise([*widths[::-1], widths[0]]):
            layers += [nn.Upsample(scale_factor=stride), nn.Conv1d(c_in, c_out, k, 1, pad), nn.ReLU()]
        self.deconv = nn.Sequential(*layers, nn.Conv1d(widths[0], c * h, k, 1, pad))
        self.short_shape = (widths[-1], length)

    def _features(self, x, y=None):
        b, c, h, w = x.shape
        return self.encoder(x.reshape(b, c * h, w))

    def decode_logits(self, z, y=None):
        seq = self.deconv(self.from_code(z).view(len(z), *self.short_shape))
        return seq.view(len(z), *self.config.image_shape)
