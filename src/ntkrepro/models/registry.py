"""The architecture registry: each architecture's builder and the options it takes (as JSON-schema
fragments, so the configuration is checked against the same list the builder reads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from ..errors import ConfigError

# Options every architecture takes.
COMMON_OPTIONS = {
    "activation": {"type": "string", "enum": ["relu", "gelu"], "default": "relu"},
    "outputs": {"type": "integer", "minimum": 1, "default": 1},
}


@dataclass(frozen=True)
class Architecture:
    """A registered network: ``build(input_shape, options)``, the JSON schema of its options, one line on it."""

    build: Callable[[tuple, dict], nn.Module]
    options: dict
    description: str


ARCHITECTURES: dict[str, Architecture] = {}


def register(name: str, options: dict, description: str):
    """Class or function decorator adding an architecture built as ``builder(input_shape, options)``."""

    def add(builder):
        ARCHITECTURES[name] = Architecture(builder, options, description)
        return builder

    return add


def activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "gelu":
        return nn.GELU(approximate="tanh")  # flax.linen.gelu is the tanh approximation
    raise ConfigError(f"unknown activation {name!r} (relu | gelu)")


def squeeze_single(y):
    """A one-output network returns shape (batch,), as the binary tasks' labels have."""
    return y.squeeze(-1) if y.shape[-1] == 1 else y
