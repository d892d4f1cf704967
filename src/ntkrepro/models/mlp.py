"""The fully connected network of Ortiz-Jiménez et al. (3072-100-100-1 on CIFAR-10)."""

import math

from torch import nn

from .registry import activation, register, squeeze_single


@register(
    "mlp",
    {"widths": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1}, "default": [100, 100]}},
    "flatten, then [dense(w), activation] for each hidden width w, then a dense output layer",
)
class MLP(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        act = options.get("activation", "relu")
        layers: list[nn.Module] = [nn.Flatten()]
        d = math.prod(input_shape)
        for w in options.get("widths", (100, 100)):
            layers += [nn.Linear(d, w), activation(act)]
            d = w
        layers.append(nn.Linear(d, options.get("outputs", 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return squeeze_single(self.net(x))
