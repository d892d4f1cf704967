"""The LeNet of Ortiz-Jiménez et al.'s code: SAME-padded 5x5 convolutions and average pooling."""

from torch import nn

from ..errors import ConfigError
from .registry import activation, register, squeeze_single


@register("lenet", {}, "5x5 convolutions (6, 16 channels, SAME padding), 2x2 average pooling, dense 120-84-outputs")
class LeNet(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        c, h, w = input_shape
        if h < 4 or w < 4:
            raise ConfigError(f"lenet needs inputs of at least 4x4 pixels, got {h}x{w}")
        act = options.get("activation", "relu")
        self.features = nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2),
            activation(act),
            nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2),
            activation(act),
            nn.AvgPool2d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * (h // 4) * (w // 4), 120),
            activation(act),
            nn.Linear(120, 84),
            activation(act),
            nn.Linear(84, options.get("outputs", 1)),
        )

    def forward(self, x):
        return squeeze_single(self.classifier(self.features(x)))
