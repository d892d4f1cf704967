"""Measures on Gram matrices and their spectra: alignment (KTA), CKA, kernel distance, cumulative
power of a target on an eigenbasis, effective rank, singular spectrum, invariance, PSD diagnostics.

Everything is computed in float64 from arrays, torch tensors or HDF5 datasets. Gram matrices are
m x m; labels are (m,) (e.g. ±1) or (m, C) (e.g. one-hot; for integer classes pass
``np.eye(C)[labels]``). A centring matrix H = I − 11ᵀ/m is never formed: centring subtracts row
and column means.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.stats
import torch

from .errors import NumericalError

log = logging.getLogger(__name__)

# Edge of the square tiles in which K and Kᵀ are compared
TILE = 256


def as_float64(x, name: str, ndim: tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` (array, tensor on any device, HDF5 dataset) as a finite float64 numpy array.

    Copies only when the dtype or device requires it. Raises ValueError for a wrong number of
    dimensions and NumericalError for NaN or infinite entries.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64)
    if ndim is not None and a.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise NumericalError(f"{name} has non-finite entries")
    return a


def as_gram(K, name: str = "K") -> np.ndarray:
    """A square float64 matrix (see ``as_float64``)."""
    a = as_float64(K, name, (2,))
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be square, got shape {a.shape}")
    return a


def as_targets(y, m: int, name: str = "y") -> np.ndarray:
    """Labels as an (m, C) float64 matrix: a vector (m,) becomes one column."""
    a = as_float64(y, name, (1, 2))
    if a.shape[0] != m:
        raise ValueError(f"{name} has {a.shape[0]} rows but the kernel is {m} x {m}")
    return a.reshape(m, -1)


# ------------------------------------------------------------------------------------------------
# PSD diagnostics


@dataclass(frozen=True)
class PSDDiagnostics:
    """How far a matrix is from symmetric positive semi-definite; nothing is clipped or repaired.

    ``asymmetry`` = max |K − Kᵀ| / max |K|. ``min_eigenvalue``/``max_eigenvalue``: the extreme
    eigenvalues of the symmetric matrix that one triangle of K defines (what LAPACK reads), None
    where no eigendecomposition was done (it costs O(m³)). A Gram matrix computed in float32
    typically has λ_min ≈ −1e-7 λ_max.
    """

    asymmetry: float
    min_eigenvalue: float | None = None
    max_eigenvalue: float | None = None

    @property
    def min_eigenvalue_ratio(self) -> float | None:
        """λ_min / λ_max (negative: K is indefinite by that share of its largest eigenvalue)."""
        if self.min_eigenvalue is None or not self.max_eigenvalue:
            return None
        return self.min_eigenvalue / self.max_eigenvalue


def asymmetry(K: np.ndarray) -> float:
    """max |K − Kᵀ| / max |K|, compared in square tiles (no m x m temporary, cache-friendly)."""
    scale = max(float(K.max()), -float(K.min())) or 1.0
    edges = range(0, len(K), TILE)
    worst = max(
        float(np.abs(K[i : i + TILE, j : j + TILE] - K[j : j + TILE, i : i + TILE].T).max())
        for i in edges
        for j in edges
        if j >= i
    )
    return worst / scale


def psd_diagnostics(K, eigenvalues=None) -> PSDDiagnostics:
    """Asymmetry and extreme eigenvalues of ``K`` (float64 ``eigvalsh`` unless ``eigenvalues`` given)."""
    K = as_gram(K)
    if eigenvalues is None:
        eigenvalues = scipy.linalg.eigvalsh(K, check_finite=False)
    lam = np.asarray(eigenvalues, dtype=np.float64)
    return PSDDiagnostics(asymmetry(K), float(lam.min()), float(lam.max()))


# ------------------------------------------------------------------------------------------------
# alignment, CKA, distance


def target_kernel(y) -> np.ndarray:
    """K_y = Y Yᵀ (m x m, float64) for labels y: (m,) ±1 values or (m, C) one-hot rows."""
    y = as_float64(y, "y", (1, 2))
    Y = y.reshape(len(y), -1)
    return Y @ Y.T


def _is_labels(x) -> bool:
    """A second argument that is not a square matrix is labels, whose kernel is Y Yᵀ."""
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    return len(shape) == 1 or (len(shape) == 2 and shape[0] != shape[1])


def _inner_and_norm(K: np.ndarray, other, centred: bool) -> tuple[float, float]:
    """(⟨K, K2⟩_F, ‖K2‖_F) for K2 a Gram matrix or Y Yᵀ; with ``centred``, both are centred first."""
    if _is_labels(other):
        Y = as_targets(other, len(K), "labels")
        if centred:
            Y = Y - Y.mean(axis=0)  # H Y Yᵀ H = (HY)(HY)ᵀ
        # ⟨K, Y Yᵀ⟩ = tr(Yᵀ K Y), ‖Y Yᵀ‖_F = ‖Yᵀ Y‖_F: the m x m target kernel is never formed
        return float(np.einsum("ic,ic->", K @ Y, Y)), float(np.linalg.norm(Y.T @ Y))
    K2 = as_gram(other, "K2")
    if K2.shape != K.shape:
        raise ValueError(f"kernels have shapes {K.shape} and {K2.shape}")
    if centred:
        K2 = centre(K2)
    return float(np.einsum("ij,ij->", K, K2)), float(np.linalg.norm(K2))


def alignment(K1, K2) -> float:
    """Uncentred kernel-target alignment KTA = ⟨K1, K2⟩_F / (‖K1‖_F ‖K2‖_F).

    ``K2`` may be an m x m kernel or labels (m,) / (m, C) standing for Y Yᵀ (then computed as
    tr(Yᵀ K1 Y) / (‖K1‖ ‖YᵀY‖) without forming Y Yᵀ). A square (m, m) label matrix is read as a kernel.
    """
    K1 = as_gram(K1, "K1")
    inner, norm2 = _inner_and_norm(K1, K2, centred=False)
    return inner / (float(np.linalg.norm(K1)) * norm2)


def centre(K) -> np.ndarray:
    """H K H with H = I − 11ᵀ/m, as K − row means − column means + grand mean (a new array)."""
    K = as_gram(K)
    rows, cols = K.mean(axis=1, keepdims=True), K.mean(axis=0, keepdims=True)
    return K - rows - cols + K.mean()


def cka(K1, K2) -> float:
    """Centred kernel alignment: KTA(H K1 H, H K2 H). ``K2`` may be labels, as in ``alignment``.

    Invariant to isotropic scaling of either kernel and to adding a constant to a kernel's entries.
    """
    Kc = centre(K1)
    inner, norm2 = _inner_and_norm(Kc, K2, centred=True)
    return inner / (float(np.linalg.norm(Kc)) * norm2)


def kernel_distance(Ka, Kb) -> float:
    """1 − KTA(Ka, Kb): 0 for proportional kernels (Fort et al.'s kernel velocity between checkpoints)."""
    return 1.0 - alignment(Ka, Kb)


# ------------------------------------------------------------------------------------------------
# spectra


def cumulative_power(vectors, y) -> np.ndarray:
    """C(ρ) = Σ_{γ≤ρ} ‖φ_γᵀ Y‖² / ‖Y‖²_F for ρ = 1..k: the share of the target's squared norm on
    the first ρ eigenvectors.

    ``vectors``: Φ, (k, m), orthonormal rows in decreasing eigenvalue order (as
    ``ntkrepro.spectra.eigendecompose`` returns). ``y``: (m,) or (m, C). Returns (k,), float64,
    non-decreasing, ≤ 1 (= 1 at ρ = m for a complete basis). For scalar y, √C(ρ) is the energy
    concentration ‖Φ_ρ y‖ / ‖y‖.
    """
    Phi = as_float64(vectors, "vectors", (2,))
    Y = as_targets(y, Phi.shape[1], "y")
    a = Phi @ Y  # (k, C): the target's coordinates on each eigenvector
    return np.cumsum(np.einsum("kc,kc->k", a, a)) / float(np.einsum("mc,mc->", Y, Y))


def zero_cutoff(gram_eigenvalues: np.ndarray, rtol: float | None = None) -> float:
    """The eigenvalue below which λ counts as zero: rtol · max|λ|, rtol = m · eps(float64) by default
    (the convention of ``scipy.linalg.pinvh``). For a Gram matrix computed in float32 pass
    rtol ≈ m · 1.2e-7: its eigenvalues below that are rounding noise."""
    lam = np.asarray(gram_eigenvalues, dtype=np.float64)
    if rtol is None:
        rtol = len(lam) * np.finfo(np.float64).eps
    return float(rtol * np.abs(lam).max())


@dataclass(frozen=True)
class SingularSpectrum:
    """Singular values σ = √λ of J from the eigenvalues λ of J Jᵀ, decreasing; σ = 0 where λ ≤ cutoff."""

    values: np.ndarray
    cutoff: float  # on λ

    @property
    def rank(self) -> int:
        """How many σ are non-zero (above the cutoff)."""
        return int(np.count_nonzero(self.values))

    @property
    def smallest_nonzero(self) -> float:
        """The smallest non-zero σ (0.0 when all are zero)."""
        return float(self.values[self.rank - 1]) if self.rank else 0.0

    @property
    def condition_number(self) -> float:
        """σ_max / smallest non-zero σ (of J; the condition number of J Jᵀ is its square)."""
        return float(self.values[0] / self.smallest_nonzero) if self.rank else float("inf")


def singular_spectrum(gram_eigenvalues, *, rtol: float | None = None) -> SingularSpectrum:
    """σ = √λ for the eigenvalues λ of a Gram matrix J Jᵀ (any order); λ ≤ ``zero_cutoff`` gives σ = 0.

    Raises NumericalError if some λ < −cutoff: the matrix is indefinite beyond rounding (raise
    ``rtol`` if the Gram matrix was computed in lower precision).
    """
    lam = np.sort(as_float64(gram_eigenvalues, "gram_eigenvalues", (1,)))[::-1]
    cutoff = zero_cutoff(lam, rtol)
    if lam[-1] < -cutoff:
        raise NumericalError(
            f"eigenvalue {lam[-1]:.3e} is below −{cutoff:.3e} (rtol x max|λ|): not a Gram matrix's spectrum "
            "beyond rounding; pass a larger rtol if the matrix was computed in float32"
        )
    return SingularSpectrum(np.sqrt(np.where(lam > cutoff, lam, 0.0)), cutoff)


def effective_rank(values, *, of: str = "singular", rtol: float | None = None) -> float:
    """Roy–Vetterli effective rank exp(H(p)), p = s / Σ s, H the Shannon entropy (nats), s > 0.

    ``values`` are the eigenvalues λ of a Gram matrix J Jᵀ (as the kernels and spectra here give).
    ``of="singular"``: s = σ(J) = √λ (Roy–Vetterli applied to the Jacobian J itself);
    ``of="eigen"``: s = λ = σ(J)² (applied to the kernel matrix J Jᵀ). Squaring sharpens the
    distribution, so "eigen" is never larger: for λ = (4, 1), "singular" gives 1.89 and "eigen" 1.65;
    for k equal non-zero values both give k. Samarin et al. speak of both, so the choice is explicit.
    """
    if of not in ("singular", "eigen"):
        raise ValueError(f"of must be 'singular' or 'eigen', got {of!r}")
    sigma = singular_spectrum(values, rtol=rtol).values
    s = sigma[sigma > 0]
    if of == "eigen":
        s = s * s
    return float(np.exp(scipy.stats.entropy(s)))  # entropy() normalizes s to sum 1


def condition_number(gram_eigenvalues, *, of: str = "singular", rtol: float | None = None) -> float:
    """λ-based condition number: of J (σ_max / σ_min≠0, ``of="singular"``) or of J Jᵀ (its square)."""
    if of not in ("singular", "eigen"):
        raise ValueError(f"of must be 'singular' or 'eigen', got {of!r}")
    kappa = singular_spectrum(gram_eigenvalues, rtol=rtol).condition_number
    return kappa if of == "singular" else kappa * kappa


# ------------------------------------------------------------------------------------------------
# invariance


def invariance(k_x_tx, k_x_x, k_tx_tx) -> float:
    """Mean over i of cos(φ(x_i), φ(T x_i)) = K(x_i, T x_i) / √(K(x_i, x_i) K(T x_i, T x_i)).

    All three are (m,) vectors of kernel values (the diagonals of K(X, TX), K(X, X), K(TX, TX)).
    Long averages this over test images for each transform T. Raises NumericalError if a
    self-kernel value is not positive (a zero feature vector has no direction).
    """
    kxt = as_float64(k_x_tx, "k_x_tx", (1,))
    kxx = as_float64(k_x_x, "k_x_x", (1,))
    ktt = as_float64(k_tx_tx, "k_tx_tx", (1,))
    if not kxt.shape == kxx.shape == ktt.shape:
        raise ValueError(f"kernel value vectors have shapes {kxt.shape}, {kxx.shape}, {ktt.shape}")
    if min(kxx.min(), ktt.min()) <= 0:
        raise NumericalError("a self-kernel value K(x, x) is not positive: its cosine is undefined")
    return float(np.mean(kxt / np.sqrt(kxx * ktt)))
