"""Importing this package registers every model. New model: a class plus @register_model."""

from . import conv, dense, sequence  # noqa: F401  (registration side effect)
from .base import AEConfig, AutoEncoder, VAEBase, log_likelihood

__all__ = ["AEConfig", "AutoEncoder", "VAEBase", "log_likelihood"]
