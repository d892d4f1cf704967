"""ntkrepro: empirical neural tangent kernels and the figures of the papers built on them."""

__version__ = "0.1.0"
