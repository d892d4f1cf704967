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
