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
from dataclasses import dataclass

import numpy as np
import torch

from ..analysis import PSDDiagnostics, as_float64, as_gram, asymmetry
from ..devices import resolve_device
from ..errors import NumericalError
from .regression import ASYMMETRY_TOLERANCE

log = logging.getLogger(__name__)

SOLVERS = ("exact", "jst1")
# Z = SCALE_EPS + mean feature norm, as in Long's code
SCALE_EPS = 1e-4
# The exact solver tests the certificate every this many pair updates (an O(m) test)
EXACT_CHECK_EVERY = 100
# ‖z_i − z_j‖² below this counts as zero in the pair step (libsvm's TAU)
TAU = 1e-12
# A hull this close to the origin (γ_hi² relative to the largest ‖z_i‖²) is not separable in float64
NOT_SEPARABLE = 1e-12


@dataclass
class HardMarginSVM:
    """A fitted no-bias max-margin classifier f(x) = Σ_i coef_i K(x, x_i) / Z².

    ``coef`` = y ∘ a, (m,) float64 (exact: scaled so that min_i y_i f(x_i) = 1, as SVC's
    decision values; jst1: Long's unnormalized iterate); ``scale`` Z; ``margin`` γ_lo (Long's
    margin min_i y_i f(x_i)/‖w‖ on the scaled training features); ``margin_upper_bound`` γ_hi ≥
    the exact max margin; ``gap`` = (γ_hi − γ_lo)/γ_hi; ``converged``: gap ≤ tol; ``iterations``:
    JST-1 steps or pair updates; ``training_error``: share of training points on the wrong side
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
    warning is logged). Progress (margin and bound) is logged at INFO every ``log_every`` iterations.

    ``solver="exact"`` (default): the dual in its nearest-point form, min ½ qᵀMq over the simplex
    (the QP min ½ αᵀMα − 1ᵀα, α ≥ 0, has the solution α* = q*/q*ᵀMq*), by pairwise (SMO) updates
    with libsvm's second-order working-set choice: the weight moves from a point with q_j > 0 to
    the point i with the smallest margin (M q)_i, j chosen for the largest decrease, each step
    exact. O(m) per update, float64, CPU. Default cap: 100·m updates.

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
    M = K * np.outer(y, y) / scale**2  # float64, (m, m)

    if solver == "exact":
        a, steps = _nearest_point(M, tol, iterations or 100 * len(M), log_every)
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
        log.warning(
            f"{solver}: stopped after {steps} iterations at margin {margin:.6g} ≤ γ* ≤ {upper:.6g} "
            f"(gap {gap:.2e} > tol {tol:.0e}); the data may not be separable through the origin"
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


def _nearest_point(M: np.ndarray, tol: float, max_updates: int, log_every: int) -> tuple[np.ndarray, int]:
    """min ½ qᵀMq over the simplex by pairwise updates; returns (q, updates)."""
    m = len(M)
    d = np.diag(M).copy()
    start = int(np.argmin(d))  # the vertex nearest to the origin
    q = np.zeros(m)
    q[start] = 1.0
    G = M[start].copy()  # M q: the margins z_i · w of w = Zᵀq
    holds = np.zeros(m)  # 1.0 where q_j > 0 (a multiplier, cheaper than boolean indexing)
    holds[start] = 1.0
    gain, dist = np.empty(m), np.empty(m)  # reused buffers: the loop is bound by numpy call overhead
    for k in range(1, max_updates + 1):
        i = int(np.argmin(G))
        # move weight to i from the j > 0 maximizing the decrease (G_j − G_i)² / ‖z_i − z_j‖²
        np.subtract(G, G[i], out=gain)
        np.maximum(gain, 0.0, out=gain)
        gain *= gain
        gain *= holds
        np.multiply(M[i], -2.0, out=dist)
        dist += d
        dist += d[i]
        np.maximum(dist, TAU, out=dist)
        gain /= dist
        j = int(np.argmax(gain))
        if gain[j] <= 0.0:
            break  # no point with weight has a larger margin than i: q is optimal
        step = (G[j] - G[i]) / dist[j]
        if step >= q[j]:
            step, q[j], holds[j] = q[j], 0.0, 0.0
        else:
            q[j] -= step
        q[i] += step
        holds[i] = 1.0
        G += step * M[i]
        G -= step * M[j]
        if k % EXACT_CHECK_EVERY == 0:
            norm2 = float(q @ G)
            if norm2 <= NOT_SEPARABLE * d.max():
                break  # the hull reaches the origin: no separator (reported as not converged)
            lo, hi = float(G.min()) / np.sqrt(norm2), np.sqrt(norm2)
            if k % log_every < EXACT_CHECK_EVERY:
                log.info(f"exact: {k} updates, margin {lo:.6g} ≤ γ* ≤ {hi:.6g}")
            if hi - lo <= tol * hi:
                break
    return q, k


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
