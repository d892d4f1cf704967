"""ResNet18 for CIFAR-sized inputs, as the Flax-examples ResNetV1 of Ortiz-Jiménez et al.'s code."""

from torch import nn

from .registry import activation, register, squeeze_single


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


@register(
    "resnet18",
    {
        "width": {"type": "integer", "minimum": 1, "default": 64},
        "zero_init_residual": {"type": "boolean", "default": True},
    },
    "3x3 stride-1 stem, no max-pool, [2, 2, 2, 2] basic blocks of width, 2, 4, 8 x width channels, "
    "global average pooling, dense output",
)
class ResNet18(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        c = input_shape[0]
        width = options.get("width", 64)
        act = options.get("activation", "relu")
        zero_init = options.get("zero_init_residual", True)
        self.stem = nn.Sequential(nn.Conv2d(c, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), activation(act))
        blocks, c_in = [], width
        for stage, c_out in enumerate([width, 2 * width, 4 * width, 8 * width]):
            for i in range(2):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(c_in, c_out, stride, act, zero_init))
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in, options.get("outputs", 1))

    def forward(self, x):
        y = self.blocks(self.stem(x))
        return squeeze_single(self.head(y.mean(dim=(2, 3))))
