"""Initializations θ0 (a registry: the single list of what `init.scheme` / `models.<name>.init` may name)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import ConfigError

# Flax's lecun_normal draws a standard normal truncated to [-2, 2] (std 0.8796...) and rescales it
TRUNCATED_NORMAL_STD = 0.87962566103423978


def _lecun_normal(model: nn.Module, seed: int) -> None:
    """Ortiz-Jiménez et al. (Flax defaults): truncated-normal weights with variance 1/fan_in, zero biases."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            std = math.sqrt(1.0 / fan_in) / TRUNCATED_NORMAL_STD
            nn.init.trunc_normal_(m.weight, 0.0, std, -2 * std, 2 * std, generator=g)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_parameters()


def _pytorch(model: nn.Module, seed: int) -> None:
    """torch.nn's own defaults (Kaiming-uniform weights, non-zero biases), as Samarin et al. use."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in model.modules():
            if hasattr(m, "reset_parameters") and m is not model:
                m.reset_parameters()


def _keras(model: nn.Module, seed: int) -> None:
    """Keras defaults (Long's code): Glorot-uniform weights, limit √(6 / (fan_in + fan_out)), zero biases."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            receptive = m.weight[0, 0].numel()
            fan_in, fan_out = m.weight.shape[1] * receptive, m.weight.shape[0] * receptive
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            m.weight.uniform_(-limit, limit, generator=g)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_parameters()


def _standard_normal(model: nn.Module, seed: int) -> None:
    """Every weight and bias N(0, 1): the NTK parameterization, whose layers scale them in the forward pass."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.normal_(generator=g)
            if m.bias is not None:
                m.bias.normal_(generator=g)
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_parameters()


INITIALIZATIONS = {"lecun-normal": _lecun_normal, "pytorch": _pytorch, "keras": _keras,
                   "standard-normal": _standard_normal}


@torch.no_grad()
def initialize(model: nn.Module, scheme: str, seed: int) -> nn.Module:
    """Draw θ0 with ``scheme`` (an INITIALIZATIONS key) from ``seed``, in place; returns the model.

    Residual blocks marked ``zero_init`` (ResNet18's second BatchNorm) get a zero scale afterwards.
    A network that names its ``init_scheme`` (the NTK-parameterized ones) takes no other.
    """
    if scheme not in INITIALIZATIONS:
        raise ConfigError(f"unknown init.scheme {scheme!r} ({' | '.join(INITIALIZATIONS)})")
    required = getattr(model, "init_scheme", None)
    if required is not None and scheme != required:
        raise ConfigError(f"init.scheme {scheme!r} does not fit {type(model).__name__}, whose forward pass scales "
                          f"its weights (NTK parameterization); use {required!r}")
    INITIALIZATIONS[scheme](model, seed)
    for m in model.modules():
        if getattr(m, "zero_init", False):
            m.weight.zero_()
    return model
