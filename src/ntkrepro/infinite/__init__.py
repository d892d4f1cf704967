"""Infinite-width NNGP and NTK kernels of fully connected and convolutional networks, in PyTorch.

Networks are composed as in neural-tangents' ``stax`` and give a kernel function::

    from ntkrepro.infinite import serial, Conv, Dense, Flatten, Relu
    kernel_fn = serial(Conv(3, W_std=2**0.5, b_std=0.1), Relu(), Flatten(), Dense(W_std=1.0))
    ntk = kernel_fn(x1, x2=None, get="ntk")     # or get="nngp", or get=("nngp", "ntk")

Layers: ``Dense``, ``Conv`` ('SAME', stride 1, odd filter sizes), ``Relu``, ``Erf`` (a·erf(b·x) + c),
``Flatten``. Weights are N(0, 1) scaled by W_std/√fan_in and biases by b_std in the forward pass
(the NTK parameterization, neural-tangents' default), so values compare directly with
``nt.stax``'s; the model registry's ``ntk-mlp`` and ``ntk-cnn`` are their finite counterparts
(``of_model(model)`` gives the kernel function of one's infinite-width limit). Everything is
computed in float64 from the closed-form recursions (the arc-cosine kernels for ReLU, Williams'
arcsine kernel for Erf), tiled over sample pairs under a memory budget. ``write_kernel`` stores a
kernel in the HDF5 kernel format (kind "infinite-ntk" or "infinite-nngp"; ``ntk.read_gram`` reads it).

Where the CNN route stops being affordable. A fully connected network needs a few numbers per
sample pair and layer: all pairs of 5,000 vectors take seconds. A convolutional network carries one
covariance per pixel of every pair, (m1, m2, H, W), and one box sum per convolution, so its cost
grows as m²·H·W·depth: on the 2-core machine (one thread, loaded by other work) two convolutions
took about 85 µs per pair at 14 x 14, which puts all pairs of 5,000 images at 14 x 14 near 18
minutes, at 28 x 28 past an hour, and 10,000 CIFAR-sized (32 x 32) images near 6 hours; beyond
that a GPU (``device="cuda"``) or a subsample is the route. Global average pooling (and anything
else that mixes positions) needs the full (H·W)² covariance of every pair, H·W times more memory and
arithmetic again: ``GlobalAvgPool`` is refused.
"""

from .counterparts import of_model
from .layers import Conv, Dense, Erf, Flatten, GlobalAvgPool, Relu
from .network import Network, serial
from .store import write_kernel

__all__ = ["serial", "Network", "Dense", "Conv", "Relu", "Erf", "Flatten", "GlobalAvgPool", "of_model", "write_kernel"]
