"""Empirical neural tangent kernels and feature kernels of PyTorch networks, exact and fast.

* ``gram(model, x1, x2=None, *, outputs="scalar" | "full" | "trace", parameters=None,
  implementation="auto" | "layerwise" | "torch.func")``: the empirical NTK;
  ``gram_by_layer`` gives each parameter group's part of it in one pass.
* ``kernel(model, x1, x2=None, *, kind="ntk" | "conjugate" | "input" | "output" | "nngp" | "module:<name>")``:
  the NTK or a feature kernel; ``paired(model, x1, x2, kind=...)`` gives K(x1_i, x2_i) alone.
* ``per_sample_gradients(model, x)``: materialized ∇θf(x_i).
* ``write_gram`` streams a large symmetric kernel to chunked HDF5 tile by tile, resuming after a
  kill; ``read_gram``, ``open_gram`` and ``gram_meta`` read it back, checking its kind.

Inputs may be torch tensors or numpy arrays, one sample per row; results are CPU torch tensors
(HDF5 reads: numpy) in the dtype of the model's parameters unless ``dtype=`` says otherwise.

Normalization of each kernel, beside neural-tangents' (``nt.empirical_ntk_fn`` and
``nt.empirical_nngp_fn``, whose ``trace_axes`` average over the traced axes):

* ``outputs="scalar"``: Θ = ⟨∇θf(x), ∇θf(x′)⟩, summed over all parameters, no 1/P (one output:
  ``empirical_ntk_fn`` with either ``trace_axes``);
* ``outputs="full"``: Θ_cc′, (m1, m2, C, C) (``trace_axes=()``);
* ``outputs="trace"``: the mean over the C outputs of Θ_cc (the default ``trace_axes=(-1,)``);
* ``kind="output"``: the sum Σ_c f_c(x) f_c(x′), C times ``empirical_nngp_fn``'s default mean over
  outputs (``trace_axes=(-1,)``), equal to it for one output; ``kind="nngp"`` is that mean;
* ``kind="conjugate"``, ``"module:<name>"``, ``"input"``: the sum φ(x)·φ(x′) over every entry of
  the flattened features, d times the mean over them (no 1/width, as an NNGP of that layer
  averaged over all its axes would have).
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
