"""The VGG-like network of Long's code (google-research ``after_kernel``): blocks of [3x3 convolution,
activation] x ``convs_per_block`` followed by 2x2 max pooling (stride 2, SAME padding), the channels
doubling from block to block, then one dense output layer. Its width (``channels`` of the first block)
is given, or sized from a parameter ``budget`` as the author's code does."""

from __future__ import annotations

import math

from torch import nn

from ..errors import ConfigError
from .registry import activation, register, squeeze_single

FILTER = 3
POOL = 2
MIN_WIDTH = 4  # Long's search starts here


def approximate_parameters(image_size: int, in_channels: int, width: int, *, blocks: int = 2, convs_per_block: int = 2,
                           outputs: int = 1) -> float:
    """Long's ``calc_vgg_param_count``: each convolution counted as c_in·c_out·(1 + 3²) (a bias per
    input-output pair, not per output channel), the spatial size halved per block as a float, one dense
    layer. An overestimate of the true count (≈ 95K where it says 105K for width 38 on 28x28)."""
    count, channels, field = 0.0, in_channels, float(image_size)
    for b in range(blocks):
        new = width if b == 0 else 2 * channels
        count += channels * new * (1 + FILTER * FILTER)
        channels = new
        count += (convs_per_block - 1) * channels * channels * (1 + FILTER * FILTER)
        field /= 2
    return count + field * field * channels * outputs + 1


def width_for_budget(budget: float, image_size: int, in_channels: int, *, blocks: int = 2, convs_per_block: int = 2,
                     outputs: int = 1) -> int:
    """The smallest width ≥ 4 whose approximate count reaches ``budget`` (Long's search): 38 for 1e5
    on 28x28x1 (channels 38/76), 26 for 5e4 (the paper's text: 26/52), 119 for 1e6 (mega-VGG)."""
    width = MIN_WIDTH
    while approximate_parameters(image_size, in_channels, width, blocks=blocks, convs_per_block=convs_per_block,
                                 outputs=outputs) < budget:
        width += 1
    return width


def pooled(size: int, blocks: int) -> int:
    """Spatial size after ``blocks`` SAME-padded 2x2 stride-2 poolings (⌈size / 2⌉ each)."""
    for _ in range(blocks):
        size = math.ceil(size / POOL)
    return size


@register(
    "vgg",
    {
        "channels": {"type": ["integer", "null"], "minimum": 1},
        "budget": {"type": ["number", "null"], "exclusiveMinimum": 0},
        "blocks": {"type": "integer", "minimum": 1, "default": 2},
        "convs_per_block": {"type": "integer", "minimum": 1, "default": 2},
    },
    "blocks of [3x3 conv (SAME), activation] x convs_per_block + 2x2 max-pool, channels doubling per block, "
    "then a dense output; channels of the first block given, or sized from a parameter budget as Long's code",
)
class VGG(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        c, h, w = input_shape
        if h != w:
            raise ConfigError(f"vgg sizes itself for square images, got {h}x{w}")
        blocks, per_block = options.get("blocks", 2), options.get("convs_per_block", 2)
        outputs = options.get("outputs", 1)
        width, budget = options.get("channels"), options.get("budget")
        if (width is None) == (budget is None):
            raise ConfigError("vgg takes exactly one of the options 'channels' and 'budget' (the other absent or null)")
        width = width or width_for_budget(budget, h, c, blocks=blocks, convs_per_block=per_block, outputs=outputs)
        self.width = width
        act = options.get("activation", "relu")
        layers: list[nn.Module] = []
        channels = c
        for b in range(blocks):
            new = width * 2**b
            for _ in range(per_block):
                layers += [nn.Conv2d(channels, new, FILTER, padding=FILTER // 2), activation(act)]
                channels = new
            # Keras' MaxPool2D(padding="same") pads the bottom and right edges of odd sizes: ceil_mode
            layers.append(nn.MaxPool2d(POOL, POOL, ceil_mode=True))
        layers.append(nn.Flatten())
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels * pooled(h, blocks) ** 2, outputs)

    def forward(self, x):
        return squeeze_single(self.classifier(self.features(x)))
