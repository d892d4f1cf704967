"""Memory (MB) each kind of job asks a cluster for, from the problem size: the one home of these
formulas, used by the rules (``resources: mem_mb=``) and the tests."""

from __future__ import annotations

import math

MB = 2**20
BASE_MB = 2048  # the Python process, torch and the libraries


def dataset_mb(shape, n_samples: int) -> int:
    """Preparing a dataset: float64 raw images, their float32 normalized copy, and headroom."""
    return int(4 * 8 * n_samples * math.prod(shape) / MB) + BASE_MB


def train_mb(shape, n_samples: int, jacobian_gb: float = 0) -> int:
    """Training: the data three times over, and a linearization's materialized Jacobian (at most
    linearization.jacobian_gb)."""
    return int(3 * 4 * n_samples * math.prod(shape) / MB) + 2 * BASE_MB + int(1024 * jacobian_gb)


def gram_mb(memory_gb: float | None) -> int:
    """The Gram engine keeps to its budget (kernel.memory_gb, else a share of what is free)."""
    return 4 * BASE_MB + int(1024 * (memory_gb or 0))


def eigendecompose_mb(m: int, k: int) -> int:
    """A float64 m x m matrix decomposed in place, k eigenvectors, LAPACK's workspace."""
    k = min(k, m)
    return int(1.15 * (8 * m * m + 16 * m * k) / MB) + BASE_MB


def alignment_mb(m: int, k: int, rows: int = 2048) -> int:
    """k eigenvectors and a block of rows of the kernel, both float64."""
    return int((16 * m * k + 8 * rows * m) / MB) + BASE_MB


# ---- work (FLOPs) each kind of job does, from the problem size: what decides its threads ----------
# Estimates to within a small factor are enough: they only sort jobs into small and large.


def train_flops(forward_flops: float, n_train: int, epochs: int, linearized: bool = False) -> float:
    """Training: a forward and a backward pass (~3 forward passes) per sample and epoch; a
    linearization's JVP and VJP cost about twice that."""
    return (6 if linearized else 3) * forward_flops * n_train * epochs


def gram_flops(forward_flops: float, n_params: int, m: int, outputs: int) -> float:
    """A Gram matrix of m samples: their Jacobians (~3 forward passes per sample and output row) and
    the products of every pair of rows (half of the (m·outputs)² entries, 2·parameters FLOPs each).
    An upper bound for the conjugate and output kernels, which use a layer's features."""
    rows = m * outputs
    return 3 * forward_flops * rows + rows * rows * n_params


def eigendecompose_flops(m: int, k: int) -> float:
    """LAPACK's symmetric eigensolver: ~4/3 m³ to tridiagonalize, ~8 m³ more for all eigenvectors
    (none: the eigenvalues alone)."""
    return (4 / 3 + (8 if k else 0)) * m**3


def alignment_flops(m: int, k: int) -> float:
    """Projecting an m x m kernel on k eigenvectors."""
    return 2 * m * m * min(k, m)


def fit_flops(m: int) -> float:
    """A kernel fit (SVM, kernel regression) on m samples: a factorization of the m x m kernel."""
    return m**3


def job_threads(flops: float, threads: int, small_job_gflop: float) -> int:
    """One thread for a job under ``small_job_gflop`` GFLOPs (so that as many run side by side as
    there are cores), ``threads`` for a larger one: a function of the configuration alone, so results
    stay bitwise reproducible for a fixed configuration whatever the load."""
    return 1 if flops < small_job_gflop * 1e9 else threads


def nads_flops(forward_flops: float, n_params: int, d: int, samples: int) -> float:
    """The NADs: d reverse passes through the input gradient (~5 forward passes per sample each),
    then the d x d Gram of the resulting d x parameters Jacobian."""
    return 5 * forward_flops * max(samples, 1) * d + d * d * n_params
