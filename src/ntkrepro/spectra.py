"""Eigendecomposition of Gram matrices, the alignment α(φ) of eigenfunctions with a kernel (``alpha``;
kernel-to-kernel alignment is ``ntkrepro.analysis.alignment``), and noise floors.

Eigenvectors are stored as the rows of Φ (φ_j in row j, eigenvalues in decreasing order), as in
the paper, with a fixed sign: the entry of largest magnitude of each φ_j is positive;
``eigendecompose(K, k, layout="columns")`` gives the same pairs in numpy's and scipy's layout.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

from . import io
from .errors import ConfigError, IntegrityError, NumericalError
from . import memory
from .devices import resolve_device

log = logging.getLogger(__name__)

# An eigenvector of a matrix stored with unit roundoff u is noise once its eigenvalue is as small as
# the matrix's rounding error, whose spectral norm is at most about u·trace(K) for a Gram matrix
# (each entry's error is about u·√(K_ii K_jj)); a factor of safety on top
NOISE_SAFETY = 10.0
# A Gram matrix is PSD; violations of Cauchy-Schwarz larger than this (relative) are not rounding
PSD_TOLERANCE = {np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-9}
LAYOUTS = ("rows", "columns")


def check_gram(K: np.ndarray, source_dtype=np.float32, name: str = "Gram matrix") -> None:
    """Cheap O(m²) checks that ``K`` can be a Gram matrix: finite, symmetric, PSD on 2x2 minors."""
    if not np.all(np.isfinite(K)):
        raise NumericalError(f"{name} has non-finite entries")
    scale = float(np.abs(K).max()) or 1.0
    asym = float(np.abs(K - K.T).max()) / scale
    tol = PSD_TOLERANCE[np.dtype(source_dtype)]
    if asym > tol:
        raise NumericalError(f"{name} is not symmetric: max |K - Kᵀ| / max |K| = {asym:.2e}")
    d = np.diag(K)
    if d.min() < -tol * scale:
        raise NumericalError(f"{name} is indefinite: a diagonal entry is {d.min():.3e} (max |K| = {scale:.3e})")
    bound = np.sqrt(np.outer(np.maximum(d, 0), np.maximum(d, 0)))
    excess = float((np.abs(K) - bound).max()) / scale
    if excess > tol:
        raise NumericalError(
            f"{name} is indefinite: |K_ij| exceeds sqrt(K_ii K_jj) by {excess:.2e} of max |K| (tolerance {tol:.0e})"
        )


def eigendecompose(
    K, k: int, *, device=None, dtype=np.float64, overwrite: bool = False, layout: str = "rows"
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` eigenpairs of the symmetric matrix ``K``.

    ``layout="rows"`` (the paper's, and what spectrum files store): (eigenvalues, decreasing; Φ,
    k x m, φ_j in row j). ``layout="columns"``: numpy's and scipy's ``eigh`` order, (eigenvalues,
    increasing; V, m x k, eigenvectors in the columns, ``K @ V ≈ V * w``), the same vectors. Either
    way each eigenvector has its entry of largest magnitude positive.

    On the CPU: LAPACK's subset routine (``scipy.linalg.eigh(subset_by_index=...)``); with
    ``overwrite`` it works in ``K``'s own memory when ``K`` already has ``dtype``. On a GPU:
    ``torch.linalg.eigh`` (cuSOLVER has no subset driver), then the top ``k``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r}: {' | '.join(map(repr, LAYOUTS))}")
    m = K.shape[0]
    if not 1 <= k <= m:
        raise ValueError(f"k={k}: cannot take {k} eigenpairs of a {m}x{m} matrix (k must be in 1..{m})")
    dev = resolve_device(device)
    itemsize = np.dtype(dtype).itemsize
    if dev.type == "cuda":
        memory.require(3.2 * m * m * itemsize, dev, f"eigh of a {m}x{m} matrix", "pass device='cpu'")
        A = torch.as_tensor(K).to(dev, dtype=torch.float64 if itemsize == 8 else torch.float32)
        w, v = torch.linalg.eigh(A)
        values = w[-k:].flip(0).cpu().numpy()
        vectors = v[:, -k:].flip(1).T.cpu().numpy()
    else:
        in_place = overwrite and isinstance(K, np.ndarray) and K.dtype == dtype and K.flags.c_contiguous
        copies = 0 if in_place else 1
        memory.require(
            (copies * m * m + m * k + 30 * m) * itemsize, dev, f"eigh of a {m}x{m} matrix",
            "use a machine with more memory",
        )
        # K is symmetric, so its C-ordered memory read as Fortran order is K itself (no LAPACK copy)
        A = (K if in_place else np.array(K, dtype=dtype)).T
        driver = "evr" if k < m else "evd"
        subset = [m - k, m - 1] if k < m else None
        values, vectors = scipy.linalg.eigh(
            A, subset_by_index=subset, driver=driver, overwrite_a=True, check_finite=False
        )
        values, vectors = values[::-1], vectors[:, ::-1].T
    values, vectors = np.ascontiguousarray(values), fix_signs(np.ascontiguousarray(vectors))
    return (values, vectors) if layout == "rows" else (values[::-1], vectors[::-1].T)


def noise_floor(values: np.ndarray, trace: float, gram_dtype) -> tuple[float, int | None]:
    """(ratio, index): eigenvectors φ_j with λ_j/λ_1 below ``ratio`` are not numerically meaningful for
    a Gram matrix stored in ``gram_dtype`` whose trace is ``trace``; ``index`` is the first such j
    (1-based) among ``values`` (decreasing), or None when all of them are above it."""
    ratio = NOISE_SAFETY * np.finfo(np.dtype(gram_dtype)).eps / 2 * trace / values[0]
    below = np.flatnonzero(values / values[0] < ratio)
    return float(ratio), (int(below[0]) + 1 if len(below) else None)


def check_above_noise_floor(meta: dict, values: np.ndarray, j: int, keys) -> None:
    """Refuse eigenvector j (1-based) of a spectrum (its file's ``meta`` and eigenvalues) when it is at
    or beyond the spectrum's noise floor; ``keys`` name the config settings that asked for it."""
    first = meta.get("noise_floor_index")
    if first is not None and j >= first:
        raise NumericalError(
            f"config key {', '.join(keys) or '(a figure setting)'}: eigenfunction {j} is below the numerical noise "
            f"floor of its {meta['gram_dtype']} Gram matrix (λ_{j}/λ_1 = {values[j - 1] / values[0]:.2g} < "
            f"{meta['noise_floor_ratio']:.2g}): its sign labels would be rounding noise; use an index below {first}, "
            "or kernel.dtype: float64"
        )


def estimate_seconds(m: int, *, device=None, probe: int = 400) -> float:
    """Time of an eigendecomposition of size ``m``: a ``probe``-sized one timed now, scaled by m³.

    LAPACK's work is dominated by the O(m³) reduction to tridiagonal form, so this is a fair guide
    to the time left of the one uninterruptible call.
    """
    if m <= probe:
        return 0.0
    rng = np.random.default_rng(0)
    a = rng.standard_normal((probe, probe))
    a = a @ a.T
    t0 = time.monotonic()
    eigendecompose(a, probe // 10, device=device)
    return (time.monotonic() - t0) * (m / probe) ** 3


def fix_signs(vectors: np.ndarray) -> np.ndarray:
    """Each row with its entry of largest magnitude positive (the sign of an eigenvector is arbitrary)."""
    rows = np.arange(len(vectors))
    signs = np.sign(vectors[rows, np.abs(vectors).argmax(axis=1)])
    signs[signs == 0] = 1
    return vectors * signs[:, None]


def write_spectrum(values: np.ndarray, vectors: np.ndarray, path: str | Path, meta: dict) -> None:
    """Write eigenvalues (k,) and eigenvectors (k, m), one per row, to HDF5 with ``meta``."""
    meta = {"kind": "spectrum", "k": len(values), "m": vectors.shape[1], **meta}
    with io.create_h5(path, meta, data_bytes=vectors.nbytes + values.nbytes) as h5:
        h5.create_dataset("eigenvalues", data=values)
        h5.create_dataset("eigenvectors", data=vectors, chunks=(1, vectors.shape[1]))


def spectrum_meta(path: str | Path) -> dict:
    """The metadata of a file written by :func:`write_spectrum` (checked to be a spectrum)."""
    with io.open_h5(path, expect={"kind": "spectrum"}) as h5:
        return io.get_meta(h5)


def check_source(path: str | Path, gram_meta: dict, gram_path: str | Path) -> None:
    """Refuse a spectrum that was not computed from the Gram matrix it is used with."""
    source = spectrum_meta(path).get("gram_fingerprint")
    if source is not None and source != gram_meta.get("fingerprint"):
        raise IntegrityError(f"{path} was not computed from {gram_path}; delete it to rebuild")


def read_spectrum(path: str | Path, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and Φ (rows) of a spectrum file, optionally only the first ``k``."""
    with io.open_h5(path, expect={"kind": "spectrum"}) as h5:
        meta = io.get_meta(h5)
        if k is not None and k > meta["k"]:
            raise ConfigError(f"{path} holds {meta['k']} eigenpairs; {k} were asked for (raise spectrum.k)")
        n = meta["k"] if k is None else k
        values, vectors = h5["eigenvalues"][:n], h5["eigenvectors"][:n]
    if vectors.shape != (n, meta["m"]):
        raise IntegrityError(f"{path}: eigenvectors have shape {vectors.shape}, expected {(n, meta['m'])}")
    return values, vectors


def alpha(vectors: np.ndarray, K, rows: int = 2048) -> np.ndarray:
    """α(φ_j) = φ_jᵀ K φ_j / ‖φ_j‖² for every row φ_j of ``vectors``.

    For the NTK this is ‖Σ_i φ_j(x_i) ∇θf(x_i)‖² / ‖φ_j‖², the paper's α_t; with K = Θ_0 and its
    own eigenvectors it equals λ_j. ``K`` may be an array or an HDF5 dataset: it is read ``rows``
    rows at a time (in float64), so the matrix never has to fit in memory at once.
    """
    m = vectors.shape[1]
    quad = np.zeros(len(vectors))
    for r0 in range(0, m, rows):
        block = np.asarray(K[r0 : r0 + rows], dtype=np.float64)  # rows x m
        quad += np.einsum("jr,rj->j", vectors[:, r0 : r0 + rows], block @ vectors.T)
    return quad / np.einsum("ij,ij->i", vectors, vectors)
