"""Hard-margin SVM without bias on a Gram matrix: Long's kernel-quality measure.

Features are scaled as in Long's code, φ̃ = φ / Z with Z = 1e-4 + mean_i ‖φ_i‖, i.e. K̃ = K / Z²
with Z = 1e-4 + mean_i √K_ii. With z_i = y_i φ̃_i and w = Σ_i a_i z_i (a ≥ 0), every quantity
needs only M = diag(y) K̃ diag(y): the margins are Z w = M a and ‖w‖² = aᵀ M a.

The max margin γ* = max_{‖w‖≤1} min_i z_i·w has the dual γ* = min_{q ∈ simplex} ‖Zᵀq‖, the
distance from the origin to the convex hull of the z_i. So for any a ≥ 0 and q in the simplex
    γ_lo = min_i (M a)_i / √(aᵀ M a)  ≤  γ*  ≤  γ_hi = √(qᵀ M q).
Both solvers stop when the relative gap (γ_hi − γ_lo) / γ_hi ≤ tol, so the margin they return,
γ_lo, is certified within ``tol`` of the exact γ*.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import OneClassSVM

from ..analysis import PSDDiagnostics, as_float64, as_gram, asymmetry
from ..devices import resolve_device
from ..errors import NumericalError
from .regression import ASYMMETRY_TOLERANCE

log = logging.getLogger(__name__)

SOLVERS = ("exact", "jst1")
# Z = SCALE_EPS + mean feature norm, as in Long's code
SCALE_EPS = 1e-4
# libsvm runs with ever tighter stopping tolerances before giving up
MAX_RUNS = 8
# A hull this close to the origin (γ_hi² relative to the largest ‖z_i‖²) is not separable in float64
NOT_SEPARABLE = 1e-12


@dataclass
class HardMarginSVM:
    """A fitted no-bias max-margin classifier f(x) = Σ_i coef_i K(x, x_i) / Z².

    ``coef`` = y ∘ a, (m,) float64 (exact: scaled so that min_i y_i f(x_i) = 1, as SVC's
    decision values; jst1: Long's unnormalized iterate); ``scale`` Z; ``margin`` γ_lo (Long's
    margin min_i y_i f(x_i)/‖w‖ on the scaled training features); ``margin_upper_bound`` γ_hi ≥
    the exact max margin; ``gap`` = (γ_hi − γ_lo)/γ_hi; ``converged``: gap ≤ tol; ``iterations``:
    JST-1 steps or libsvm's SMO iterations (all runs); ``training_error``: share of training points on the wrong side
    (f = 0 counts as the −1 class, as in Long's 1[φ·w > 0]).
    """

    coef: np.ndarray
    scale: float
    margin: float
    margin_upper_bound: float
    gap: float
    converged: bool
    iterations: int
    training_error: float
    solver: str
    diagnostics: PSDDiagnostics

    def decision_function(self, k_test_train) -> np.ndarray:
        """f(x) for a cross-kernel K(test, train) (n, m) of the unscaled features: (n,) float64."""
        k = as_float64(k_test_train, "k_test_train", (2,))
        if k.shape[1] != len(self.coef):
            raise ValueError(f"k_test_train has {k.shape[1]} columns but there are {len(self.coef)} training samples")
        return k @ self.coef / self.scale**2

    def predict(self, k_test_train) -> np.ndarray:
        """Labels ±1 (float64): +1 where f(x) > 0."""
        return np.where(self.decision_function(k_test_train) > 0, 1.0, -1.0)


def hard_margin_svm(
    k_train,
    y_train,
    *,
    solver: str = "exact",
    tol: float = 1e-3,
    iterations: int | None = None,
    check_every: int = 25,
    log_every: int = 1000,
    device=None,
    dtype: torch.dtype = torch.float32,
) -> HardMarginSVM:
    """Max-margin separator through the origin of the points (φ(x_i), y_i), from their Gram matrix.

    ``k_train``: (m, m) Gram matrix (any float dtype; arrays, tensors, HDF5 datasets); ``y_train``:
    (m,) labels in {−1, +1}. Stops when the margin is certified within relative ``tol`` of the
    exact one (see the module docstring) or after ``iterations`` (then ``converged`` is False and a
    warning is logged). Progress (margin and bound) is logged at INFO: every libsvm run, or every
    ``log_every`` JST-1 steps.

    ``solver="exact"`` (default): the dual in its nearest-point form, min ½ qᵀMq over the simplex
    (the QP min ½ αᵀMα − 1ᵀα, α ≥ 0, has the solution α* = q*/q*ᵀMq*), solved by libsvm
    (scikit-learn's ``OneClassSVM`` on the precomputed M with ν = 1/m, which is exactly this
    problem), float64, CPU, one thread. ``iterations`` caps libsvm's SMO iterations (default: none).

    ``solver="jst1"``: Ji–Srebro–Telgarsky Algorithm 1 as in Long's code (step size 1, no bias,
    β_t = t/(t+1)), kernelized: q = softmax(−M a); h ← (h − q)·t/(t+1); a ← a − (h − q). One
    m x m mat-vec per step in ``dtype`` on ``device`` (float32 by default: M a is recomputed from a
    each step, so rounding does not accumulate; the reported margin, bound and predictions are
    recomputed in float64). The certificate uses its dual iterate −h/Σ(−h), one more mat-vec every
    ``check_every`` steps. Default cap: 100,000 steps.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    if not 0 < tol < 1:
        raise ValueError(f"tol must be in (0, 1), got {tol}")
    K = as_gram(k_train, "k_train")
    y = as_float64(y_train, "y_train", (1,))
    if len(y) != len(K):
        raise ValueError(f"y_train has {len(y)} labels but k_train is {len(K)} x {len(K)}")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y_train must hold labels -1 and +1 only")
    asym = asymmetry(K)
    if asym > ASYMMETRY_TOLERANCE:
        raise NumericalError(f"k_train is not symmetric: max |K - Kᵀ| / max |K| = {asym:.2e}")
    diag = np.diag(K)
    if diag.min() <= 0:
        raise NumericalError(f"k_train has a diagonal entry {diag.min():.3e} ≤ 0: a point without a direction")
    scale = SCALE_EPS + float(np.sqrt(diag).mean())
    M = np.multiply(K, y[:, None])  # float64, (m, m): the only copy of K made here
    M *= y[None, :] / scale**2

    if solver == "exact":
        a, steps = _nearest_point(M, tol, iterations)
        dual = a
    else:
        a, dual, steps = _jst1(M, tol, iterations or 100_000, check_every, log_every, resolve_device(device), dtype)

    # the certificate again, in float64
    Ma = M @ a
    norm = float(np.sqrt(max(a @ Ma, 0.0)))
    margin = float(Ma.min()) / norm if norm > 0 else 0.0
    upper = _dual_bound(M, dual)
    gap = (upper - margin) / upper if upper > 0 else float("inf")
    if solver == "exact" and norm > 0:
        a = a / norm**2  # α* = q*/q*ᵀMq*: decision values 1 on the support vectors
    converged = gap <= tol
    if not converged:
        if margin <= 0:
            why = "the data may not be separable through the origin"
        elif solver == "exact" and not (iterations and steps >= iterations):
            why = "libsvm's float32 kernel values limit the gap; solver='jst1' with dtype=torch.float64 goes further"
        else:
            why = "raise iterations"
        log.warning(
            f"{solver}: stopped after {steps} iterations at margin {margin:.6g} ≤ γ* ≤ {upper:.6g} "
            f"(gap {gap:.2e} > tol {tol:.0e}): {why}"
        )
    # y_i f(x_i) = (M a)_i; f = 0 is predicted −1, a mistake only for y = +1
    wrong = (Ma < 0) | ((Ma == 0) & (y > 0))
    return HardMarginSVM(
        y * a, scale, margin, upper, gap, converged, steps, float(wrong.mean()), solver, PSDDiagnostics(asym)
    )


def _dual_bound(M: np.ndarray, q: np.ndarray) -> float:
    """γ_hi = ‖Zᵀq‖ = √(qᵀMq) for q ≥ 0 normalized to sum 1."""
    if q.sum() <= 0:
        return float("inf")
    q = q / q.sum()
    return float(np.sqrt(max(q @ (M @ q), 0.0)))


def _nearest_point(M: np.ndarray, tol: float, max_iter: int | None) -> tuple[np.ndarray, int]:
    """min ½ qᵀMq over the simplex by libsvm; returns (q, SMO iterations over all runs).

    libsvm's one-class SVM dual is min ½ αᵀMα with 0 ≤ α_i ≤ 1 and Σ α = ν·m; with ν = 1/m the
    upper bounds cannot bind, so it is exactly this problem, solved by SMO with second-order
    working-set selection and shrinking, in C. libsvm stops when max_{q_j>0} (Mq)_j − min_i (Mq)_i
    ≤ δ; since qᵀMq ≥ γ*², the relative gap is then ≤ δ / γ*². γ* is unknown: the first run
    guesses it; if the gap is too large, the next run uses δ = tol·γ_lo²/2 with the margin γ_lo
    just found (each run starts afresh; a tighter δ costs little: SMO converges linearly).
    libsvm keeps kernel values in float32, which limits the attainable gap (about 1e-4 on LeNet
    NTKs of a few thousand samples): runs stop when the gap no longer halves.
    """
    m = len(M)
    largest = float(np.diag(M).max())
    # the uniform q bounds γ*² by mean(M); assuming γ*² ≥ mean(M)/100 most runs end after one
    delta = tol * float(M.mean()) / 100
    best, best_gap, previous, total = None, float("inf"), float("inf"), 0
    for run in range(1, MAX_RUNS + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported through the gap instead
            svm = OneClassSVM(kernel="precomputed", nu=1.0 / m, tol=delta, max_iter=max_iter or -1).fit(M)
        total += int(np.sum(svm.n_iter_))
        q = np.zeros(m)
        q[svm.support_] = svm.dual_coef_[0] / svm.dual_coef_[0].sum()
        Mq = M @ q
        norm2 = float(q @ Mq)
        if norm2 <= NOT_SEPARABLE * largest:
            return q, total  # the hull reaches the origin: no separator (reported as not converged)
        lo, hi = float(Mq.min()) / np.sqrt(norm2), np.sqrt(norm2)
        gap = (hi - lo) / hi
        log.info(f"exact: libsvm run {run} (stopping at {delta:.2e}), margin {lo:.6g} ≤ γ* ≤ {hi:.6g}")
        if gap < best_gap:
            best, best_gap = q, gap
        if gap <= tol or (max_iter and total >= max_iter) or (previous < 1 and gap > 0.5 * previous):
            break  # done, out of iterations, or stalled at the accuracy of libsvm's float32 kernel cache
        previous = gap
        delta = 0.5 * tol * lo * lo if lo > 0 else delta / 100
    return best, total


def _jst1(
    M: np.ndarray, tol: float, max_steps: int, check_every: int, log_every: int, device, dtype
) -> tuple[np.ndarray, np.ndarray, int]:
    """Kernelized JST Algorithm 1; returns (a, dual point −h, steps), float64."""
    Mt = torch.as_tensor(M, device=device).to(dtype)
    a = torch.zeros(len(M), dtype=dtype, device=device)
    h = torch.zeros_like(a)
    for t in range(max_steps):
        q = torch.softmax(-(Mt @ a), dim=0)  # ∝ exp(−margins): the exp-loss gradient weights
        h = (h - q) * (t / (t + 1))
        a = a - (h - q)
        if t and (t + 1) % check_every == 0:
            Ma = Mt @ a
            lo = float(Ma.min()) / float(torch.sqrt(a @ Ma))
            # −h is a positive combination of past q's; normalized, it is the dual iterate
            p = h / h.sum()
            hi = float(torch.sqrt(p @ (Mt @ p)))
            if (t + 1) % log_every < check_every:
                log.info(f"jst1: {t + 1} steps, margin {lo:.6g} ≤ γ* ≤ {hi:.6g}")
            if hi - lo <= tol * hi:
                break
    return a.double().cpu().numpy(), -h.double().cpu().numpy(), t + 1
