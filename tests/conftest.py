import copy

import pytest
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap


def reference_gram(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """Float64 Θ(x1, x2) from full per-sample Jacobians (torch.func), independent of the engine."""
    model = copy.deepcopy(model).double().eval()
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    frozen = {k: v.detach() for k, v in model.named_parameters() if not v.requires_grad}
    buffers = dict(model.named_buffers())

    def f(p, x):
        return functional_call(model, ({**p, **frozen}, buffers), (x.unsqueeze(0),)).reshape(())

    def jacobian(x):
        jac = vmap(jacrev(f), in_dims=(None, 0))(params, x.double())
        return torch.cat([j.reshape(len(x), -1) for j in jac.values()], dim=1)

    j1 = jacobian(x1)
    j2 = j1 if x2 is None else jacobian(x2)
    return j1 @ j2.T


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


class SmallCNN(nn.Module):
    """Convolutions (padded, strided, with and without bias), pooling and dense layers."""

    def __init__(self, channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 4, 3, padding=1)
        self.pool = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(4, 5, 3, stride=2, padding=1, bias=False)
        self.mpool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(5, 7)
        self.fc2 = nn.Linear(7, 1)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.mpool(nn.functional.gelu(self.conv2(x)))
        return self.fc2(torch.tanh(self.fc1(x.flatten(1)))).squeeze(-1)


class BatchNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6 * 8 * 8, 5)
        self.bn1d = nn.BatchNorm1d(5)
        self.head = nn.Linear(5, 1)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.head(torch.relu(self.bn1d(self.fc(x.flatten(1))))).squeeze(-1)


class RawParameterNet(nn.Module):
    """A parameter used outside any known layer: the layerwise path cannot express it."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 192) / 14)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        return self.out(torch.tanh(x.flatten(1) @ self.w.T)).squeeze(-1)


class InplaceNet(nn.Module):
    """In-place activations overwrite the layer outputs the hook path records."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.fc = nn.Linear(4 * 8 * 8, 1)

    def forward(self, x):
        return self.fc(self.act(self.conv(x)).flatten(1)).squeeze(-1)


class SequenceNet(nn.Module):
    """A dense layer applied at several positions (a Linear on a 3-D input)."""

    def __init__(self):
        super().__init__()
        self.mix = nn.Linear(4, 6)
        self.head = nn.Linear(6, 1)

    def forward(self, x):
        h = torch.tanh(self.mix(x.reshape(len(x), -1, 4)))  # (b, positions, 6)
        return self.head(h.mean(1)).squeeze(-1)


@pytest.fixture
def rng():
    return torch.Generator().manual_seed(1234)


def randomize_batchnorm(model: nn.Module, g: torch.Generator) -> nn.Module:
    """Give BatchNorm layers non-trivial running statistics and affine parameters."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g))
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=g))
                m.bias.copy_(torch.randn(m.num_features, generator=g))
    return model


class ConvZoo(nn.Module):
    """Convolutions of every per-sample-gradient method: strides, dilations, non-square kernels."""

    def __init__(self):
        super().__init__()
        self.few = nn.Conv2d(3, 8, (3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1))  # grouped
        self.wide = nn.Conv2d(8, 72, 3, stride=1, padding=2, dilation=2)  # many channels, >= 64 positions
        self.small = nn.Conv2d(72, 12, (2, 3), stride=2, padding=1, bias=False)  # many channels, < 64 positions
        self.head = nn.Linear(12 * 3 * 3, 1)

    def forward(self, x):
        x = torch.tanh(self.few(x))  # (8, 16, 8) from (3, 18, 16)
        x = torch.tanh(self.wide(x))  # (72, 16, 8)
        x = torch.tanh(self.small(x))  # (12, 9, 4)
        return self.head(x[:, :, :3, :3].flatten(1)).squeeze(-1)
