"""Neural anisotropy directions (NADs) from the NTK (Theorem 1 of the paper) and the linearly
separable tasks along them.

For u on the unit sphere, the alignment of g_u(x) = uᵀx with the NTK at θ0 is
α(g_u) = ‖A u‖², A = E_x ∇²_{x,θ} f(x; θ0) (n_params x d), x ~ N(0, I). The NADs are the right
singular vectors v_j of A and α(g_{v_j}) = σ_j².

A is the Jacobian, with respect to θ, of h(θ) = E_x ∇_x f(x; θ), so AᵀA = J_h J_hᵀ is a d x d
matrix built from d reverse-mode products through the input gradient, never the n_params x d
matrix of mixed derivatives per sample. ``samples=0`` evaluates at the single point x = 0, as the
authors' code does; otherwise the expectation is a Monte-Carlo mean over ``samples`` draws.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad, jacrev

from . import io
from .devices import resolve_device
from .spectra import fix_signs
from .data import Dataset


def mixed_derivative_gram(
    model: nn.Module, input_shape, *, samples: int, seed: int, chunk: int = 16, device=None
) -> np.ndarray:
    """AᵀA (d x d, float64) for A = E_x ∇²_{x,θ} f(x; θ0)."""
    device = resolve_device(device)
    model = copy.deepcopy(model).to(device=device, dtype=torch.float64).eval()
    if samples == 0:
        x = torch.zeros(1, *input_shape, dtype=torch.float64, device=device)
    else:
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(samples, *input_shape, generator=g, dtype=torch.float64).to(device)
    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}

    def mean_input_gradient(p):
        def total(inputs):
            return functional_call(model, p, (inputs,)).sum()

        return grad(total)(x).mean(0).reshape(-1)

    jac = jacrev(mean_input_gradient, chunk_size=chunk)(params)  # name -> (d, *param shape)
    d = math.prod(input_shape)
    gram = torch.zeros(d, d, dtype=torch.float64, device=device)
    for j in jac.values():
        j = j.reshape(d, -1)
        gram += j @ j.T
    return gram.cpu().numpy()


def directions(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ_j², v_j as rows), in decreasing order of σ², each v_j with its largest entry positive."""
    values, vectors = np.linalg.eigh(gram)
    return np.clip(values[::-1], 0, None), fix_signs(vectors[:, ::-1].T)


def linearly_separable(
    v: np.ndarray, input_shape, *, n_train: int, n_test: int, epsilon: float, sigma: float, seed: int
) -> Dataset:
    """The task x ↦ sign(vᵀx): x = (ε/2)·y·v + w, w ~ N(0, σ²I) projected orthogonally to v, y = ±1.

    As the authors' code (data/linearly_separable_dataset); the samples are the network's inputs
    (no further normalization).
    """
    g = np.random.default_rng(seed)
    v = v / np.linalg.norm(v)
    n = n_train + n_test
    y = g.choice(np.array([-1, 1]), size=n)
    w = g.standard_normal((n, v.size)) * sigma
    w -= np.outer(w @ v, v)
    x = (epsilon / 2) * y[:, None] * v[None, :] + w
    x = torch.from_numpy(x.reshape(n, *input_shape).astype(np.float32))
    y = torch.from_numpy(y.astype(np.int64))
    return Dataset(name="linearly-separable", x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:])


def write(values: np.ndarray, vectors: np.ndarray, path, meta: dict) -> None:
    """Write the alignments σ_j² and the directions v_j (rows) to HDF5 with ``meta``; :func:`read` reads them."""
    with io.create_h5(path, {"kind": "nads", "d": len(values), **meta}, data_bytes=vectors.nbytes + values.nbytes) as h5:
        h5.create_dataset("alignment", data=values)
        h5.create_dataset("directions", data=vectors)


def read(path) -> tuple[np.ndarray, np.ndarray]:
    """(σ_j², v_j as rows) of a file written by :func:`write`."""
    with io.open_h5(path, expect={"kind": "nads"}) as h5:
        return h5["alignment"][()], h5["directions"][()]
