"""The empirical neural tangent kernel of scalar-output networks.

``gram(model, x1, x2=None)`` returns Θ(x1, x2) = ⟨∇θf(x1), ∇θf(x2)⟩; ``write_gram`` streams a large
symmetric Gram matrix to chunked HDF5 tile by tile, resuming after a kill.
"""

from .engine import GramComputation, gram, tf32
from .hdf5 import gram_meta, open_gram, read_gram, write_gram

__all__ = ["gram", "write_gram", "read_gram", "open_gram", "gram_meta", "GramComputation", "tf32"]
