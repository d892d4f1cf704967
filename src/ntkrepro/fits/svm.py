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
from dataclasses import dataclass, field

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
# rows of K compared with √(K_ii K_jj) at once (bounds the temporary to MINOR_ROWS x m)
MINOR_ROWS = 512
# Labels taken as they are; any other two labels map to these in sorted order (scikit-learn's classes_)
SIGNS = (-1.0, 1.0)


class SVMConvergenceWarning(ConvergenceWarning):
    """The SVM stopped before its margin was certified within ``tol`` (a ConvergenceWarning, as
    scikit-learn's solvers raise)."""


@dataclass
class HardMarginSVM:
    """A fitted no-bias max-margin classifier f(x) = Σ_i coef_i K(x, x_i) / Z².

    ``coef`` = y ∘ a, (m,) float64 (exact: scaled so that min_i y_i f(x_i) = 1, as SVC's
    decision values; jst1: Long's unnormalized iterate); ``scale`` Z; ``margin`` γ_lo (Long's
    margin min_i y_i f(x_i)/‖w‖ on the scaled training features); ``margin_upper_bound`` γ_hi ≥
    the exact max margin; ``gap`` = (γ_hi − γ_lo)/γ_hi; ``converged``: gap ≤ tol; ``iterations``:
    JST-1 steps or libsvm's SMO iterations (all runs); ``training_error``: share of training points on the wrong side
    (f = 0 counts as the −1 class, as in Long's 1[φ·w > 0]); ``classes``: the caller's labels of the
    −1 and the +1 class (−1.0, +1.0 for labels in {−1, +1}).
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
    classes: np.ndarray = field(default_factory=lambda: np.array(SIGNS))

    def __repr__(self) -> str:
        return (f"HardMarginSVM(m={len(self.coef)}, solver={self.solver!r}, margin={self.margin:.6g}, "
                f"gap={self.gap:.2e}, converged={self.converged}, iterations={self.iterations})")

    def decision_function(self, k_test_train) -> np.ndarray:
        """f(x) for a cross-kernel K(test, train) (n, m) of the unscaled features: (n,) float64."""
        k = as_float64(k_test_train, "k_test_train", (2,))
        if k.shape[1] != len(self.coef):
            raise ValueError(f"k_test_train has {k.shape[1]} columns but there are {len(self.coef)} training samples")
        return k @ self.coef / self.scale**2

    def predict(self, k_test_train) -> np.ndarray:
        """The caller's labels: ``classes[1]`` (+1, float64, for ±1 labels) where f(x) > 0, else ``classes[0]``."""
        return self.classes[(self.decision_function(k_test_train) > 0).astype(int)]


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
    (m,) labels: in {−1, +1}, or any two distinct labels (numbers or strings; the larger is the +1
    class, as scikit-learn orders them; ``predict`` answers in them). Stops when the margin is
    certified within relative ``tol`` of the exact one (see the module docstring) or after
    ``iterations`` (then ``converged`` is False, and an :class:`SVMConvergenceWarning` is issued and
    logged). Progress (margin and bound) is logged at INFO: every libsvm run, or every ``log_every``
    JST-1 steps.

    Refused with one message (NumericalError): a kernel that is not positive semi-definite as far as
    O(m²) work shows (a 2x2 principal minor, or a quadratic form the solver evaluates, negative beyond
    rounding; a full check costs an eigendecomposition: ``ntkrepro.analysis.psd_diagnostics``), and
    labelled features that sum to zero (Σ_i y_i φ(x_i) = 0, e.g. two balanced classes with the same
    mean feature), for which no separator through the origin exists.

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
    y, classes = _signs(y_train, len(K))
    asym = asymmetry(K)
    if asym > ASYMMETRY_TOLERANCE:
        raise NumericalError(f"k_train is not symmetric: max |K - Kᵀ| / max |K| = {asym:.2e}")
    diag = np.diag(K)
    if diag.min() <= 0:
        raise NumericalError(f"k_train has a diagonal entry {diag.min():.3e} ≤ 0: a point without a direction")
    _check_minors(K, diag)
    scale = SCALE_EPS + float(np.sqrt(diag).mean())
    M = np.multiply(K, y[:, None])  # float64, (m, m): the only copy of K made here
    M *= y[None, :] / scale**2
    largest = float(np.diag(M).max())
    mean = float(M.mean())  # ‖mean_i z_i‖², the squared distance of the hull's centroid from the origin
    _check_quadratic_form(mean, largest, "the labels' combination (1/m) Σ_i y_i φ(x_i)")
    if mean <= NOT_SEPARABLE * largest:
        raise NumericalError(
            f"k_train, y_train: Σ_i y_i φ(x_i) = 0 (‖mean‖² = {mean:.2e} of the largest ‖φ(x_i)‖²; e.g. two balanced "
            "classes with the same mean feature): the origin lies in the hull of the y_i φ(x_i), so no separator "
            "through the origin exists"
        )

    if solver == "exact":
        a, steps = _nearest_point(M, tol, iterations)
        dual = a
    else:
        a, dual, steps = _jst1(M, tol, iterations or 100_000, check_every, log_every, resolve_device(device), dtype)
    for name, v in (("the solver's primal iterate", a), ("the solver's dual iterate", dual)):
        if v.sum() > 0:
            v = v / v.sum()
            _check_quadratic_form(float(v @ (M @ v)), largest, name)

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
        message = (f"{solver}: stopped after {steps} iterations at margin {margin:.6g} ≤ γ* ≤ {upper:.6g} "
                   f"(gap {gap:.2e} > tol {tol:.0e}): {why}")
        log.warning(message)
        warnings.warn(message, SVMConvergenceWarning, stacklevel=2)
    # y_i f(x_i) = (M a)_i; f = 0 is predicted −1, a mistake only for y = +1
    wrong = (Ma < 0) | ((Ma == 0) & (y > 0))
    return HardMarginSVM(
        y * a, scale, margin, upper, gap, converged, steps, float(wrong.mean()), solver, PSDDiagnostics(asym), classes
    )


def _signs(y_train, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels as ±1 float64, and the caller's labels of the −1 and +1 class."""
    labels = np.asarray(y_train.detach().cpu() if isinstance(y_train, torch.Tensor) else y_train)
    if labels.ndim != 1:
        raise ValueError(f"y_train must have 1 dimension, got shape {labels.shape}")
    if len(labels) != m:
        raise ValueError(f"y_train has {len(labels)} labels but k_train is {m} x {m}")
    distinct = np.unique(labels)
    numeric = np.issubdtype(labels.dtype, np.number) or labels.dtype == bool
    if numeric and not np.isfinite(distinct.astype(np.float64)).all():
        raise NumericalError("y_train has non-finite entries")
    if numeric and set(distinct.astype(np.float64).tolist()) <= set(SIGNS):
        return labels.astype(np.float64), np.array(SIGNS)
    if len(distinct) != 2:
        shown = ", ".join(map(str, distinct[:5])) + (", ..." if len(distinct) > 5 else "")
        raise ValueError(f"y_train holds {len(distinct)} distinct labels ({shown}); a binary SVM takes two")
    return np.where(labels == distinct[1], 1.0, -1.0), distinct


def _check_minors(K: np.ndarray, diag: np.ndarray) -> None:
    """K_ij² ≤ K_ii K_jj up to rounding (every 2x2 principal minor ≥ 0), in row blocks."""
    root = np.sqrt(diag)
    scale = float(diag.max())
    for start in range(0, len(K), MINOR_ROWS):
        rows = slice(start, start + MINOR_ROWS)
        excess = np.abs(K[rows]) - root[rows, None] * root[None, :]
        worst = float(excess.max()) / scale
        if worst > ASYMMETRY_TOLERANCE:
            i, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
            raise NumericalError(
                f"k_train is not positive semi-definite: |K[{start + i}, {j}]| exceeds √(K_ii K_jj) by {worst:.2e} "
                f"of the largest diagonal entry"
            )


def _check_quadratic_form(value: float, largest: float, what: str) -> None:
    if value < -ASYMMETRY_TOLERANCE * largest:
        raise NumericalError(
            f"k_train is not positive semi-definite: {what} has squared norm {value:.3e} < 0 "
            f"(largest diagonal entry {largest:.3e})"
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
            norm2 = float(a @ Ma)
            lo = float(Ma.min()) / np.sqrt(norm2) if norm2 > 0 else 0.0  # a = 0 combination: no separator yet
            # −h is a positive combination of past q's; normalized, it is the dual iterate
            p = h / h.sum()
            hi = float(torch.sqrt(p @ (Mt @ p)))
            if (t + 1) % log_every < check_every:
                log.info(f"jst1: {t + 1} steps, margin {lo:.6g} ≤ γ* ≤ {hi:.6g}")
            if hi - lo <= tol * hi:
                break
    return a.double().cpu().numpy(), -h.double().cpu().numpy(), t + 1
