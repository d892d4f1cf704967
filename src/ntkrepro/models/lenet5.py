"""LeNet-5 with max-pooling and ReLU, and a width factor: 5x5 convolutions with 6 and 16 channels (the
first zero-padded, by 2 pixels by default, so that 28x28 digits become the original 32x32 input),
2x2 max-pooling after each, then dense layers of 120 and 84 units and the output layer. The width
factor multiplies every convolution's channels and every hidden dense width.

On 28x28 inputs with padding 2: 61,706 parameters at width factor 1 and 244,362 at 2 (10 outputs).
"""

from torch import nn

from ..errors import ConfigError
from .registry import activation, register, squeeze_single

CHANNELS = (6, 16)
HIDDEN = (120, 84)
WIDTH_FACTOR = {"type": "number", "exclusiveMinimum": 0, "default": 1}


def scaled(units: int, factor: float) -> int:
    """``units`` times the width factor, rounded, at least 1 (factors below 1 give small test networks)."""
    return max(1, round(units * factor))


@register(
    "lenet5",
    {"width_factor": WIDTH_FACTOR, "padding": {"type": "integer", "minimum": 0, "default": 2}},
    "LeNet-5 with max-pooling: 5x5 convolutions (6, 16 channels x width_factor; the first zero-padded by "
    "`padding`), 2x2 max-pooling, dense (120, 84) x width_factor, then the outputs",
)
class LeNet5(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        c, h, w = input_shape
        k = options.get("width_factor", 1)
        pad = options.get("padding", 2)
        act = options.get("activation", "relu")
        c1, c2 = (scaled(n, k) for n in CHANNELS)
        d1, d2 = (scaled(n, k) for n in HIDDEN)
        # spatial size after conv(5) and pool(2), twice
        sh, sw = (((s + 2 * pad - 4) // 2 - 4) // 2 for s in (h, w))
        if sh < 1 or sw < 1:
            raise ConfigError(f"lenet5 with padding {pad} needs inputs of at least {16 - 2 * pad}x{16 - 2 * pad} "
                              f"pixels, got {h}x{w}")
        self.features = nn.Sequential(
            nn.Conv2d(c, c1, 5, padding=pad),
            activation(act),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5),
            activation(act),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(c2 * sh * sw, d1),
            activation(act),
            nn.Linear(d1, d2),
            activation(act),
            nn.Linear(d2, options.get("outputs", 1)),
        )

    def forward(self, x):
        return squeeze_single(self.classifier(self.features(x)))
