"""Network architectures (a registry: the single list of what `models.<name>.arch` may name), their
initializations, and saving a network state so that it can be rebuilt from the file alone.

Every model records the spec it was built from (``model.spec``), so a saved state (θ0 or a
checkpoint) is enough to rebuild it: ``load_model(path)``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .. import io
from ..errors import ConfigError
from .init import INITIALIZATIONS, initialize
from .registry import ARCHITECTURES, COMMON_OPTIONS, Architecture, register

# importing the architecture modules registers them
from . import alexnet, lenet, lenet5, mlp, ntk_parameterized, rescnn, resnet, vgg  # noqa: E402,F401

__all__ = [
    "ARCHITECTURES", "COMMON_OPTIONS", "INITIALIZATIONS", "Architecture", "register", "build_model", "initialize",
    "save_model", "load_model", "reset_batchnorm_statistics", "estimate_batchnorm_statistics", "parameter_count",
]


def build_model(arch: str, input_shape, options: dict | None = None) -> nn.Module:
    """Build an architecture for inputs of shape (channels, height, width)."""
    if arch not in ARCHITECTURES:
        raise ConfigError(f"unknown architecture {arch!r} ({' | '.join(ARCHITECTURES)})")
    options = dict(options or {})
    known = set(ARCHITECTURES[arch].options) | set(COMMON_OPTIONS)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"{unknown[0]!r} is not an option of architecture {arch!r} ({', '.join(sorted(known))})")
    model = ARCHITECTURES[arch].build(tuple(input_shape), options)
    model.spec = {"arch": arch, "input_shape": list(input_shape), "options": options}
    return model


def parameter_count(model: nn.Module) -> int:
    """The number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def save_model(model: nn.Module, path: str | Path, **extra) -> None:
    """Save a model's spec and parameters; a linearized model saves the network parameters θ it holds.

    The file holds only tensors, numbers, strings and lists/dicts of them, so it loads with
    ``torch.load(weights_only=True)`` (no code runs when a shared file is read).
    """
    state = model.network_state() if hasattr(model, "network_state") else model.state_dict()
    io.save_torch({"spec": model.spec, "state_dict": dict(state), **extra}, path)


def load_model(path: str | Path) -> tuple[nn.Module, dict]:
    """Rebuild a model from a saved θ0 or checkpoint; returns (model, the file's other entries)."""
    saved = io.load_torch(path)
    spec = saved.pop("spec")
    model = build_model(spec["arch"], tuple(spec["input_shape"]), spec["options"])
    model.load_state_dict(saved.pop("state_dict"))
    return model, saved


@torch.no_grad()
def reset_batchnorm_statistics(model: nn.Module) -> nn.Module:
    """Running mean 0 and variance 1 in every BatchNorm layer, their values at initialization."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            m.reset_running_stats()
    return model


@torch.no_grad()
def estimate_batchnorm_statistics(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> nn.Module:
    """Running mean and variance of every BatchNorm layer re-estimated on ``x``: the exact average
    over ``x`` of the batch statistics (cumulative, not exponential), the parameters unchanged."""
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not layers:
        return model
    momenta = [m.momentum for m in layers]
    was_training = model.training
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # a cumulative moving average: every batch counts the same
    model.train()
    for s in range(0, len(x), batch_size):
        model(x[s : s + batch_size])
    for m, momentum in zip(layers, momenta):
        m.momentum = momentum
    return model.train(was_training)
