"""Kernel regression (ridge and ridgeless) on a Gram matrix, and least squares on the Jacobian.

With K = J Jᵀ the two are one predictor: the minimum-norm solution u = J⁺y of J u = y predicts
J_test u = K(test, train) K⁺ y, which is kernel regression with ridge 0 (the "solver" of Samarin et
al.). ``kernel_regression`` works on the m x m Gram matrix (the dual route, for m ≤ P);
``least_squares`` on the m x P Jacobian (the primal route, cheaper when P < m).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ..analysis import PSDDiagnostics, as_float64, as_gram, asymmetry, zero_cutoff
from ..errors import NumericalError

log = logging.getLogger(__name__)

# A Gram matrix is symmetric; beyond this relative asymmetry the input is not one (float32
# rounding of a symmetric product stays far below it)
ASYMMETRY_TOLERANCE = 1e-5
SOLVERS = ("auto", "eigh", "cholesky")


@dataclass
class KernelRegression:
    """A fitted kernel regressor f(x) = K(x, train) α.

    ``dual_coef`` α and the predictions have the targets' shape: (m,) or (m, C), float64.
    ``rank``: the number of eigen-directions of K with |λ| > ``cutoff`` (the numerical rank the
    ridgeless solve uses); None on the Cholesky route, which computes no eigenvalues.
    ``diagnostics``: asymmetry and extreme eigenvalues of K (eigenvalues None on the Cholesky route).
    """

    dual_coef: np.ndarray
    train_predictions: np.ndarray
    test_predictions: np.ndarray | None
    ridge: float
    solver: str
    rank: int | None
    cutoff: float | None
    diagnostics: PSDDiagnostics

    def predict(self, k_test_train) -> np.ndarray:
        """Predictions K(test, train) α for a cross-kernel (n, m)."""
        return _cross(k_test_train, len(self.dual_coef)) @ self.dual_coef


def kernel_regression(
    k_train, y_train, k_test_train=None, *, ridge: float = 0.0, rcond: float | None = None, solver: str = "auto"
) -> KernelRegression:
    """Fit α = (K + ridge·I)⁻¹ y, or α = K⁺ y (minimum-norm interpolant) when ``ridge`` is 0.

    ``k_train`` (m, m) Gram matrix, ``y_train`` (m,) or (m, C) targets, ``k_test_train`` (n, m)
    cross-kernel K(test, train) (optional); arrays, tensors or HDF5 datasets of any float dtype,
    computed on in float64. The ridge is sklearn ``KernelRidge``'s ``alpha``.

    Solvers (both read one triangle of K, the upper one):
    - ``"eigh"``: K = V diag(λ) Vᵀ; α = V diag(1/(λ + ridge)) Vᵀ y. With ridge 0 the
      pseudo-inverse keeps the eigenvalues with |λ| > cutoff = rcond · max|λ|, rcond = m · eps of
      the input's dtype by default (``scipy.linalg.pinvh``'s convention: below it, λ is rounding
      noise of a matrix stored in that precision), and works when K is singular. Pass a kernel in
      the dtype it was computed in (``ntk.read_gram(path, dtype=None)`` reads a file so): a float32
      kernel cast to float64 would keep its rounding noise as directions (or give ``rcond``).
    - ``"cholesky"``: factor K + ridge·I (m³/3 flops, about 1/6 of ``eigh``); needs ridge > 0 or a
      positive-definite K; falls back to ``"eigh"`` (with a warning) if the factorization fails.
    - ``"auto"``: Cholesky for ridge > 0, eigh for ridge 0.
    The eigh route reports the extreme eigenvalues (a K indefinite beyond the cutoff is logged as a
    warning, never clipped); an asymmetry beyond 1e-5 of max |K| raises NumericalError.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    if not ridge >= 0:
        raise ValueError(f"ridge must be non-negative, got {ridge}")
    dtype = getattr(k_train, "dtype", np.float64)
    K = np.array(as_gram(k_train, "k_train"))  # a private copy: LAPACK overwrites it
    m = len(K)
    y = as_float64(y_train, "y_train", (1, 2))
    if len(y) != m:
        raise ValueError(f"y_train has {len(y)} rows but k_train is {m} x {m}")
    k_test = None if k_test_train is None else _cross(k_test_train, m)
    asym = asymmetry(K)
    if asym > ASYMMETRY_TOLERANCE:
        raise NumericalError(f"k_train is not symmetric: max |K - Kᵀ| / max |K| = {asym:.2e}")
    if rcond is None:
        rcond = m * _eps(dtype)

    if solver == "cholesky" or (solver == "auto" and ridge > 0):
        fit = _cholesky(K, y, ridge, asym)
        if fit is not None:
            return _with_test(fit, k_test)
        log.warning("K + ridge·I is not positive definite; solving by eigendecomposition instead")
        K = np.array(as_gram(k_train, "k_train"))
    return _with_test(_eigh(K, y, ridge, rcond, asym), k_test)


def _eigh(K: np.ndarray, y: np.ndarray, ridge: float, rcond: float, asym: float) -> KernelRegression:
    # K's C-ordered memory read in Fortran order is Kᵀ, which LAPACK takes without a copy
    lam, V = scipy.linalg.eigh(K.T, driver="evd", overwrite_a=True, check_finite=False)
    cutoff = zero_cutoff(lam, rcond)
    if lam[0] < -cutoff:
        log.warning(f"k_train is indefinite: λ_min = {lam[0]:.3e}, λ_max = {lam[-1]:.3e} (cutoff {cutoff:.2e})")
    coords = V.T @ y  # the targets in K's eigenbasis
    kept = np.abs(lam) > cutoff
    if ridge > 0:
        shrink = lam + ridge
        if shrink.min() <= 0:
            raise NumericalError(f"K + ridge·I is singular or indefinite: λ_min = {lam[0]:.3e}, ridge = {ridge:.3e}")
        inverse, fitted = 1.0 / shrink, lam / shrink
    else:
        inverse = np.where(kept, 1.0 / np.where(kept, lam, 1.0), 0.0)
        fitted = kept.astype(np.float64)  # K K⁺ y: the projection of y on K's numerical range
    column = (-1,) + (1,) * (y.ndim - 1)  # scales each eigen-direction of a (m,) or (m, C) target
    alpha = V @ (inverse.reshape(column) * coords)
    train = V @ (fitted.reshape(column) * coords)
    rank = int(np.count_nonzero(kept))
    diagnostics = PSDDiagnostics(asym, float(lam[0]), float(lam[-1]))
    return KernelRegression(alpha, train, None, ridge, "eigh", rank, cutoff, diagnostics)


def _cholesky(K: np.ndarray, y: np.ndarray, ridge: float, asym: float) -> KernelRegression | None:
    K[np.diag_indices_from(K)] += ridge
    try:
        factor = scipy.linalg.cho_factor(K.T, lower=True, overwrite_a=True, check_finite=False)  # no copy
    except np.linalg.LinAlgError:
        return None
    alpha = scipy.linalg.cho_solve(factor, y, check_finite=False)
    train = y - ridge * alpha  # (K + ridge·I) α = y
    return KernelRegression(alpha, train, None, ridge, "cholesky", None, None, PSDDiagnostics(asym))


def _with_test(fit: KernelRegression, k_test: np.ndarray | None) -> KernelRegression:
    if k_test is not None:
        fit.test_predictions = k_test @ fit.dual_coef
    return fit


def _cross(k_test_train, m: int) -> np.ndarray:
    k = as_float64(k_test_train, "k_test_train", (2,))
    if k.shape[1] != m:
        raise ValueError(f"k_test_train has {k.shape[1]} columns but there are {m} training samples")
    return k


def _eps(dtype) -> float:
    """Machine epsilon of a numpy or torch dtype (float64's for anything else)."""
    name = str(dtype).replace("torch.", "")
    return float(np.finfo(name).eps) if name in ("float16", "float32", "float64") else float(np.finfo(np.float64).eps)


# ------------------------------------------------------------------------------------------------
# least squares on the Jacobian


@dataclass
class LeastSquares:
    """The minimum-norm least-squares solution u = J⁺ y in parameter space.

    ``coef`` u: (P,) or (P, C), float64. ``rank``: singular values of J above ``cutoff`` (an
    absolute σ threshold). ``singular_values``: all of J's, decreasing.
    """

    coef: np.ndarray
    rank: int
    cutoff: float
    singular_values: np.ndarray

    def predict(self, jacobian) -> np.ndarray:
        """J_test u for a Jacobian (n, P) of other samples (add f(θ0, x) for a linearized network)."""
        J = as_float64(jacobian, "jacobian", (2,))
        if J.shape[1] != len(self.coef):
            raise ValueError(f"jacobian has {J.shape[1]} columns, the fit has {len(self.coef)} parameters")
        return J @ self.coef


def least_squares(jacobian, y, *, rcond: float | None = None) -> LeastSquares:
    """u = J⁺ y by LAPACK's SVD-based ``gelsd`` (``scipy.linalg.lstsq``), in float64.

    ``jacobian`` J: (m, P) per-sample gradients (rows ∇θ f(x_i)); ``y``: (m,) or (m, C) targets (for
    a linearized network with offset, y − f(θ0, x)). Singular values σ ≤ rcond · σ_max count as
    zero; rcond = max(m, P) · eps of J's dtype by default (``numpy.linalg.pinv``'s convention).
    J Jᵀ's eigenvalues are σ², so ``kernel_regression`` with rcond_K = rcond² makes the same cut.
    The SVD of J costs O(m P min(m, P)) and never squares J's condition number, unlike forming K.
    """
    dtype = getattr(jacobian, "dtype", np.float64)
    J = as_float64(jacobian, "jacobian", (2,))
    targets = as_float64(y, "y", (1, 2))
    if len(targets) != len(J):
        raise ValueError(f"y has {len(targets)} rows but the Jacobian has {len(J)}")
    if rcond is None:
        rcond = max(J.shape) * _eps(dtype)
    coef, _, rank, sigma = scipy.linalg.lstsq(J, targets, cond=rcond, lapack_driver="gelsd", check_finite=False)
    return LeastSquares(coef, int(rank), float(rcond * sigma[0]) if len(sigma) else 0.0, sigma)


@dataclass
class LinearizedSolve:
    """Predictions f(x) + K(x, X)α of a linearized model fitted exactly, with the kernel fit behind them."""

    train_predictions: np.ndarray  # (n_train,) or (n_train, C)
    test_predictions: np.ndarray
    fit: KernelRegression


def linearized_solve(K, offsets, y, n_train: int, *, ridge: float = 0.0) -> LinearizedSolve:
    """The linearized model f(x) + K(x, X)α fitted exactly to the training labels: α solves
    K(X, X)α = y − f(X) (minimum-norm for ``ridge=0``), as least squares on the Jacobian does.

    ``K`` is the kernel of the training samples followed by the test samples ((m, m), or (m, m, C, C)
    for a full multi-output NTK); ``offsets`` the network's outputs f on the same samples ((m,) or
    (m, C)); ``y`` the training targets ((n_train,) ±1, or (n_train, C) one-hot).
    """
    K, f, y = np.asarray(K, dtype=np.float64), np.asarray(offsets, dtype=np.float64), np.asarray(y, dtype=np.float64)
    shape = f.shape
    if K.ndim == 4:  # sample-major (m·C, m·C): the outputs of a sample are adjacent
        m, _, C, _ = K.shape
        K, f, y, n_rows = K.transpose(0, 2, 1, 3).reshape(m * C, m * C), f.reshape(-1), y.reshape(-1), n_train * C
    else:
        n_rows = n_train
    fit = kernel_regression(K[:n_rows, :n_rows], y - f[:n_rows], K[n_rows:, :n_rows], ridge=ridge)
    train = (fit.train_predictions + f[:n_rows]).reshape((n_train,) + shape[1:])
    test = (fit.test_predictions + f[n_rows:]).reshape((shape[0] - n_train,) + shape[1:])
    return LinearizedSolve(train, test, fit)
