"""Networks in the NTK parameterization, whose empirical NTK tends to the infinite-width kernels of
:mod:`ntkrepro.infinite` as their width grows: every weight and bias is N(0, 1) (init.scheme
``standard-normal``) and the forward pass scales them, by W_std/√fan_in and b_std.

The scaled layers are plain ``nn.Linear`` / ``nn.Conv2d`` modules applied to the scaled input (and
the bias a one-input layer applied to the constant b_std), so the layerwise kernel engine computes
their exact NTK at full speed: the gradient of (W_std/√fan_in)·W x with respect to W is that of W
applied to (W_std/√fan_in)·x.
"""

import math

import torch
from torch import nn

from ..errors import ConfigError
from .registry import activation, register, squeeze_single

INIT_SCHEME = "standard-normal"
OPTIONS = {
    "width": {"type": "integer", "minimum": 1, "default": 512},
    "depth": {"type": "integer", "minimum": 1, "default": 2},
    "weight_std": {"type": "number", "minimum": 0, "default": math.sqrt(2.0)},
    "bias_std": {"type": "number", "minimum": 0, "default": 0.0},
}


class NTKLinear(nn.Module):
    """(W_std/√fan_in)·W x + b_std·b; no bias parameters when b_std is 0 (they would have no gradient)."""

    def __init__(self, fan_in: int, width: int, weight_std: float, bias_std: float):
        super().__init__()
        self.scale, self.bias_std = weight_std / math.sqrt(fan_in), bias_std
        self.linear = nn.Linear(fan_in, width, bias=False)
        self.shift = nn.Linear(1, width, bias=False) if bias_std > 0 else None

    def forward(self, x):
        y = self.linear(x * self.scale)
        if self.shift is not None:
            y = y + self.shift(x.new_full((len(x), 1), self.bias_std))
        return y


class NTKConv2d(nn.Module):
    """A 'SAME' convolution (odd filter, stride 1) (W_std/√(C_in·k²))·W * x + b_std·b."""

    def __init__(self, channels_in: int, channels_out: int, filter_size: int, weight_std: float, bias_std: float):
        super().__init__()
        self.scale = weight_std / math.sqrt(channels_in * filter_size**2)
        self.bias_std = bias_std
        self.conv = nn.Conv2d(channels_in, channels_out, filter_size, padding=filter_size // 2, bias=False)
        self.shift = nn.Conv2d(1, channels_out, 1, bias=False) if bias_std > 0 else None

    def forward(self, x):
        y = self.conv(x * self.scale)
        if self.shift is not None:
            y = y + self.shift(x.new_full((len(x), 1, *x.shape[2:]), self.bias_std))
        return y


def standard_normal(model: nn.Module) -> None:
    """Every weight of the scaled layers N(0, 1) from torch's global generator (as torch.nn's own
    layers draw their defaults), so that a network is usable before init.scheme redraws it."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                m.weight.normal_()


@register(
    "ntk-mlp",
    OPTIONS,
    "NTK parameterization: flatten, then [dense(width), activation] x depth, then a dense output layer; weights "
    "N(0, 1) scaled by weight_std/√fan_in and biases by bias_std in the forward pass (init.scheme standard-normal)",
)
class NTKMLP(nn.Module):
    init_scheme = INIT_SCHEME

    def __init__(self, input_shape, options):
        super().__init__()
        width, w_std, b_std = (options.get(k, OPTIONS[k]["default"]) for k in ("width", "weight_std", "bias_std"))
        layers: list[nn.Module] = [nn.Flatten()]
        d = math.prod(input_shape)
        for _ in range(options.get("depth", OPTIONS["depth"]["default"])):
            layers += [NTKLinear(d, width, w_std, b_std), activation(options.get("activation", "relu"))]
            d = width
        layers.append(NTKLinear(d, options.get("outputs", 1), w_std, b_std))
        self.net = nn.Sequential(*layers)
        standard_normal(self)

    def forward(self, x):
        return squeeze_single(self.net(x))


CNN_OPTIONS = {**OPTIONS, "width": {**OPTIONS["width"], "default": 128},
               "filter_size": {"type": "integer", "minimum": 1, "default": 3}}


@register(
    "ntk-cnn",
    CNN_OPTIONS,
    "NTK parameterization: [filter_size x filter_size 'SAME' convolution (width channels), activation] x depth, "
    "flatten, a dense output layer (no pooling); scaled as ntk-mlp (init.scheme standard-normal)",
)
class NTKCNN(nn.Module):
    init_scheme = INIT_SCHEME

    def __init__(self, input_shape, options):
        super().__init__()
        width, w_std, b_std, k = (options.get(key, CNN_OPTIONS[key]["default"])
                                  for key in ("width", "weight_std", "bias_std", "filter_size"))
        if k % 2 == 0:
            raise ConfigError(f"ntk-cnn's filter_size must be odd (a 'SAME' window centred on each pixel); got {k}")
        c, h, w = input_shape
        layers: list[nn.Module] = []
        for _ in range(options.get("depth", OPTIONS["depth"]["default"])):
            layers += [NTKConv2d(c, width, k, w_std, b_std), activation(options.get("activation", "relu"))]
            c = width
        layers += [nn.Flatten(), NTKLinear(c * h * w, options.get("outputs", 1), w_std, b_std)]
        self.net = nn.Sequential(*layers)
        standard_normal(self)

    def forward(self, x):
        return squeeze_single(self.net(x))
