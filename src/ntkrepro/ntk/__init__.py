"""Empirical neural tangent kernels and feature kernels of PyTorch networks, exact and fast.

* ``gram(model, x1, x2=None, *, outputs="scalar" | "full" | "trace", parameters=None,
  implementation="auto" | "layerwise" | "torch.func")``: the empirical NTK;
  ``gram_by_layer`` gives each parameter group's part of it in one pass.
* ``kernel(model, x1, x2=None, *, kind="ntk" | "conjugate" | "input" | "output" | "module:<name>")``:
  the NTK or a feature kernel; ``paired(model, x1, x2, kind=...)`` gives K(x1_i, x2_i) alone.
* ``per_sample_gradients(model, x)``: materialized ∇θf(x_i).
* ``write_gram`` streams a large symmetric kernel to chunked HDF5 tile by tile, resuming after a
  kill; ``read_gram``, ``open_gram`` and ``gram_meta`` read it back, checking its kind.

Inputs may be torch tensors or numpy arrays; results are CPU torch tensors (HDF5 reads: numpy).
"""

from .engine import GramComputation, gram, gram_by_layer, kernel, paired, per_sample_gradients, sample_major, tf32
from .hdf5 import gram_meta, open_gram, read_gram, write_gram

__all__ = [
    "gram",
    "gram_by_layer",
    "kernel",
    "paired",
    "per_sample_gradients",
    "sample_major",
    "write_gram",
    "read_gram",
    "open_gram",
    "gram_meta",
    "GramComputation",
    "tf32",
]
