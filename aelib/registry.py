"""Name -> class registries for models and datasets, with typed dataclass configs.

    @register_model("conv_vae")
    class ConvVAE(VAEBase): Config = ConvVAEConfig

Unknown names and unknown config keys fail with a message listing the valid ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .errors import UnknownNameError

MODELS: dict[str, type] = {}
DATASETS: dict[str, Callable] = {}


def register_model(name: str):
    def add(cls):
        if name in MODELS:
            raise ValueError(f"model {name!r} is already registered")
        cls.name = name
        MODELS[name] = cls
        return cls

    return add


def register_dataset(name: str):
    def add(fn):
        DATASETS[name] = fn
        fn.dataset_name = name
        return fn

    return add


def _lookup(table: dict, kind: str, name: str):
    if name not in table:
        raise UnknownNameError(f"unknown {kind} {name!r}; valid: {', '.join(sorted(table))}")
    return table[name]


def get_model_class(name: str) -> type:
    return _lookup(MODELS, "model", name)


def get_dataset_loader(name: str) -> Callable:
    return _lookup(DATASETS, "dataset", name)


def make_config(config_cls: type, values: dict[str, Any]):
    """Build a dataclass config, refusing keys it does not have (typos fail loudly)."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UnknownNameError(
            f"unknown config key(s) {', '.join(unknown)} for {config_cls.__name__}; valid: {', '.join(sorted(fields))}"
        )
    # JSON round trips turn tuples into lists; restore them so configs compare equal.
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return config_cls(**fixed)


def build_model(name: str, **config: Any):
    """Instantiate a registered model: build_model("vae", image_shape=(1, 28, 28), latent_dim=2)."""
    cls = get_model_class(name)
    return cls(make_config(cls.Config, config))
