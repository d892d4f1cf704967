"""The fully connected network of Ortiz-Jiménez et al. (3072-100-100-1 on CIFAR-10), and of Long (four
hidden layers of equal width, sized from a parameter budget)."""

import math

from torch import nn

from .registry import activation, register, squeeze_single


def approximate_parameters(input_size: int, width: int, depth: int) -> int:
    """Long's count of an MLP with ``depth`` hidden layers of ``width``: input_size·w + (depth − 1)·(w + 1)·w
    + w + 1 (the first layer's biases left out, as his code does)."""
    return input_size * width + (depth - 1) * (width + 1) * width + width + 1


def width_for_budget(budget: float, input_size: int, depth: int) -> int:
    """The smallest width ≥ 5 whose approximate count reaches ``budget`` (Long's search): 94 for
    1e5 with 784 inputs and 4 hidden layers."""
    width = 5
    while approximate_parameters(input_size, width, depth) < budget:
        width += 1
    return width


@register(
    "mlp",
    {
        "widths": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1}, "default": [100, 100]},
        "budget": {"type": "number", "exclusiveMinimum": 0},
    },
    "flatten, then [dense(w), activation] for each hidden width w, then a dense output layer; with budget, "
    "every hidden layer gets the width Long's code sizes from that parameter budget (widths gives the depth)",
)
class MLP(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        act = options.get("activation", "relu")
        layers: list[nn.Module] = [nn.Flatten()]
        d = math.prod(input_shape)
        widths = list(options.get("widths", (100, 100)))
        if "budget" in options:
            widths = [width_for_budget(options["budget"], d, len(widths))] * len(widths)
        for w in widths:
            layers += [nn.Linear(d, w), activation(act)]
            d = w
        layers.append(nn.Linear(d, options.get("outputs", 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return squeeze_single(self.net(x))
