"""AlexNet as torchvision builds it (``torchvision.models.alexnet``, Krizhevsky's "one weird trick"
variant), without dropout, with a width factor on every convolution's channels and every hidden
dense width. Module names and shapes match torchvision's at width factor 1 (dropout is an identity),
so its state dicts load into each other: 57,044,810 parameters with 10 outputs.
"""

from torch import nn

from ..errors import ConfigError
from .lenet5 import WIDTH_FACTOR, scaled
from .registry import activation, register, squeeze_single

CHANNELS = (64, 192, 384, 256, 256)
HIDDEN = 4096
MIN_SIZE = 63  # smaller inputs vanish in the third max-pooling


@register(
    "alexnet",
    {"width_factor": WIDTH_FACTOR},
    "torchvision's AlexNet without dropout: convolutions 11x11/4 (64), 5x5 (192), 3x3 (384, 256, 256) x "
    "width_factor with 3x3/2 max-pooling, 6x6 adaptive average pooling, dense (4096, 4096) x width_factor",
)
class AlexNet(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        c, h, w = input_shape
        if min(h, w) < MIN_SIZE:
            raise ConfigError(f"alexnet needs inputs of at least {MIN_SIZE}x{MIN_SIZE} pixels, got {h}x{w}")
        k = options.get("width_factor", 1)
        act = options.get("activation", "relu")
        c1, c2, c3, c4, c5 = (scaled(n, k) for n in CHANNELS)
        d = scaled(HIDDEN, k)
        self.features = nn.Sequential(
            nn.Conv2d(c, c1, 11, stride=4, padding=2),
            activation(act),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, padding=2),
            activation(act),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1),
            activation(act),
            nn.Conv2d(c3, c4, 3, padding=1),
            activation(act),
            nn.Conv2d(c4, c5, 3, padding=1),
            activation(act),
            nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Identity(),  # torchvision's Dropout
            nn.Linear(c5 * 6 * 6, d),
            activation(act),
            nn.Identity(),  # torchvision's Dropout
            nn.Linear(d, d),
            activation(act),
            nn.Linear(d, options.get("outputs", 1)),
        )

    def forward(self, x):
        return squeeze_single(self.classifier(self.avgpool(self.features(x)).flatten(1)))
