"""The paper's architectures (scalar output) and their initializations.

Every model records the spec it was built from (``model.spec``), so a saved state (θ0 or a
checkpoint) is enough to rebuild it: ``load_model(path)``.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from . import io
from .errors import ConfigError

ARCHITECTURES = ("mlp", "lenet", "resnet18")
INIT_SCHEMES = ("lecun-normal", "pytorch")

# Flax's lecun_normal draws a standard normal truncated to [-2, 2] (std 0.8796...) and rescales it
TRUNCATED_NORMAL_STD = 0.87962566103423978


def activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "gelu":
        return nn.GELU(approximate="tanh")  # flax.linen.gelu is the tanh approximation
    raise ConfigError(f"unknown activation {name!r} (relu | gelu)")


class MLP(nn.Module):
    """flatten -> [Dense(w) -> act]* -> Dense(1); the paper's MLP is widths (100, 100)."""

    def __init__(self, input_shape, widths=(100, 100), activation_name="relu"):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        d = math.prod(input_shape)
        for w in widths:
            layers += [nn.Linear(d, w), activation(activation_name)]
            d = w
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(-1)


class LeNet(nn.Module):
    """The authors' LeNet: 5x5 convs (6, 16) with SAME padding, 2x2 average pooling, 120-84-1 dense."""

    def __init__(self, input_shape, activation_name="relu"):
        super().__init__()
        c, h, w = input_shape
        if h < 4 or w < 4:
            raise ConfigError(f"lenet needs inputs of at least 4x4 pixels, got {h}x{w}")
        self.features = nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2),
            activation(activation_name),
            nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2),
            activation(activation_name),
            nn.AvgPool2d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * (h // 4) * (w // 4), 120),
            activation(activation_name),
            nn.Linear(120, 84),
            activation(activation_name),
            nn.Linear(84, 1),
        )

    def forward(self, x):
        return self.classifier(self.features(x)).squeeze(-1)


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride, activation_name, zero_init_residual):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.act = activation(activation_name)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.bn2.zero_init = zero_init_residual  # flax examples' ResNet: scale_init=zeros
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        y = self.act(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.act(y + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet18 for CIFAR: 3x3 stride-1 stem, no max-pool, [2,2,2,2] basic blocks, scalar head."""

    def __init__(self, input_shape, width=64, activation_name="relu", zero_init_residual=True):
        super().__init__()
        c = input_shape[0]
        self.stem = nn.Sequential(
            nn.Conv2d(c, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), activation(activation_name)
        )
        blocks, c_in = [], width
        for stage, c_out in enumerate([width, 2 * width, 4 * width, 8 * width]):
            for i in range(2):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(c_in, c_out, stride, activation_name, zero_init_residual))
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in, 1)

    def forward(self, x):
        y = self.blocks(self.stem(x))
        return self.head(y.mean(dim=(2, 3))).squeeze(-1)


def build_model(arch: str, input_shape, options: dict | None = None) -> nn.Module:
    """Build an architecture for inputs of shape (channels, height, width)."""
    options = dict(options or {})
    act = options.get("activation", "relu")
    if arch == "mlp":
        model = MLP(input_shape, tuple(options.get("widths", (100, 100))), act)
    elif arch == "lenet":
        model = LeNet(input_shape, act)
    elif arch == "resnet18":
        model = ResNet18(input_shape, options.get("width", 64), act, options.get("zero_init_residual", True))
    else:
        raise ConfigError(f"unknown architecture {arch!r} ({' | '.join(ARCHITECTURES)})")
    model.spec = {"arch": arch, "input_shape": list(input_shape), "options": options}
    return model


@torch.no_grad()
def initialize(model: nn.Module, scheme: str, seed: int) -> nn.Module:
    """Draw θ0. ``lecun-normal`` is the authors' (Flax default): truncated-normal weights with
    variance 1/fan_in and zero biases. ``pytorch`` is torch.nn's default initialization."""
    if scheme == "pytorch":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for m in model.modules():
                if hasattr(m, "reset_parameters") and m is not model:
                    m.reset_parameters()
    elif scheme == "lecun-normal":
        g = torch.Generator().manual_seed(seed)
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                std = math.sqrt(1.0 / fan_in) / TRUNCATED_NORMAL_STD
                nn.init.trunc_normal_(m.weight, 0.0, std, -2 * std, 2 * std, generator=g)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.reset_parameters()
    else:
        raise ConfigError(f"unknown init.scheme {scheme!r} ({' | '.join(INIT_SCHEMES)})")
    for m in model.modules():
        if getattr(m, "zero_init", False):
            m.weight.zero_()
    return model


def save_model(model: nn.Module, path: str | Path, **extra) -> None:
    """Save a model's spec and parameters; a linearized model saves the network parameters θ it holds."""
    state = model.network_state() if hasattr(model, "network_state") else model.state_dict()
    io.save_torch({"spec": model.spec, "state_dict": state, **extra}, path)


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
