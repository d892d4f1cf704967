"""A residual CNN of 11 convolutions with max-pooling after each residual block, batch norm and a
switch for the skip connections: the shape of Canatar & Pehlevan's network as its text describes it
(the ffcv CIFAR example it is "based on" has 8 convolutions; see config/README.md).

conv(w1) → conv(w2) → res(w2) → pool → conv(w3) → res(w3) → pool → conv(w4) → res(w4) → pool →
conv(w5) → global max-pool → dense(outputs), where conv(w) is 3×3 convolution, batch norm, ReLU and
res(w) two such convolutions with (``skip: true``) the block's input added before the second ReLU.
The probed modules are named ``conv2`` … ``conv11`` (each conv–bn–activation unit), so a config
names layer ℓ of the paper by its module."""

from torch import nn

from .registry import activation, register, squeeze_single


class ConvUnit(nn.Sequential):
    def __init__(self, c_in, c_out, act):
        super().__init__(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), activation(act))


class Residual(nn.Module):
    """Two 3×3 conv–bn units; with ``skip``, the input is added before the second activation."""

    def __init__(self, c, act, skip, first: str, second: str):
        super().__init__()
        self.skip = skip
        self.first, self.second = first, second
        self.add_module(first, ConvUnit(c, c, act))
        self.add_module(second + "_conv", nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)))
        self.add_module(second, activation(act))

    def forward(self, x):
        y = getattr(self, self.second + "_conv")(getattr(self, self.first)(x))
        return getattr(self, self.second)(y + x if self.skip else y)


@register(
    "rescnn11",
    {
        "conv_widths": {"type": "array", "minItems": 5, "maxItems": 5, "items": {"type": "integer", "minimum": 1},
                   "default": [64, 128, 256, 512, 256]},
        "skip": {"type": "boolean", "default": True},
    },
    "11 3x3 convolutions with batch norm: conv w1, conv w2, residual(w2), max-pool, conv w3, residual(w3), "
    "max-pool, conv w4, residual(w4), max-pool, conv w5, global max-pool, dense output; skip switches the "
    "residual additions; modules conv1 ... conv11 (the activations)",
)
class ResCNN11(nn.Module):
    def __init__(self, input_shape, options):
        super().__init__()
        w1, w2, w3, w4, w5 = options.get("conv_widths", [64, 128, 256, 512, 256])
        act = options.get("activation", "relu")
        skip = options.get("skip", True)
        c = input_shape[0]
        self.conv1 = ConvUnit(c, w1, act)
        self.conv2 = ConvUnit(w1, w2, act)
        self.block1 = Residual(w2, act, skip, "conv3", "conv4")
        self.pool1 = nn.MaxPool2d(2)
        self.conv5 = ConvUnit(w2, w3, act)
        self.block2 = Residual(w3, act, skip, "conv6", "conv7")
        self.pool2 = nn.MaxPool2d(2)
        self.conv8 = ConvUnit(w3, w4, act)
        self.block3 = Residual(w4, act, skip, "conv9", "conv10")
        self.pool3 = nn.MaxPool2d(2)
        self.conv11 = ConvUnit(w4, w5, act)
        self.head = nn.Linear(w5, options.get("outputs", 1))

    def forward(self, x):
        y = self.pool1(self.block1(self.conv2(self.conv1(x))))
        y = self.pool2(self.block2(self.conv5(y)))
        y = self.pool3(self.block3(self.conv8(y)))
        y = self.conv11(y).amax(dim=(2, 3))
        return squeeze_single(self.head(y))
