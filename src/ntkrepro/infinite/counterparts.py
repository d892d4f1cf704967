"""The infinite-width network of a registered NTK-parameterized architecture (``ntk-mlp``, ``ntk-cnn``)."""

from __future__ import annotations

from ..errors import UnsupportedNetwork
from ..models.ntk_parameterized import CNN_OPTIONS, OPTIONS
from .layers import Conv, Dense, Flatten, Relu
from .network import Network, serial

ACTIVATIONS = {"relu": Relu}


def of_model(model_or_spec) -> Network:
    """The kernel function of the infinitely wide limit of a network built by
    ``ntkrepro.models.build_model("ntk-mlp" | "ntk-cnn", ...)`` (or of its ``spec``)."""
    spec = getattr(model_or_spec, "spec", model_or_spec)
    arch, options = spec["arch"], spec.get("options", {})
    if arch not in ("ntk-mlp", "ntk-cnn"):
        raise UnsupportedNetwork(f"architecture {arch!r} has no infinite-width counterpart (ntk-mlp | ntk-cnn)")
    name = options.get("activation", "relu")
    if name not in ACTIVATIONS:
        raise UnsupportedNetwork(f"activation {name!r} has no closed-form infinite-width kernel here "
                                 f"({' | '.join(ACTIVATIONS)})")
    w_std, b_std = (options.get(k, OPTIONS[k]["default"]) for k in ("weight_std", "bias_std"))
    depth = options.get("depth", OPTIONS["depth"]["default"])
    if arch == "ntk-mlp":  # it flattens image inputs first, as the network does
        hidden = [Dense(W_std=w_std, b_std=b_std), ACTIVATIONS[name]()]
        return serial(Flatten(), *hidden * depth, Dense(W_std=w_std, b_std=b_std))
    filter_size = options.get("filter_size", CNN_OPTIONS["filter_size"]["default"])
    hidden = [Conv(filter_size, W_std=w_std, b_std=b_std), ACTIVATIONS[name]()]
    return serial(*hidden * depth, Flatten(), Dense(W_std=w_std, b_std=b_std))


__all__ = ["of_model"]
