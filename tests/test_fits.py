"""Kernel regression, least squares and the hard-margin SVM against scipy and scikit-learn."""

import logging
import math

import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_ridge import KernelRidge
from sklearn.svm import SVC
from torch import nn
from torch.func import functional_call, jacrev, vmap

from ntkrepro.errors import NumericalError
from ntkrepro.fits import hard_margin_svm, kernel_regression, least_squares
from ntkrepro.fits.svm import SVMConvergenceWarning


def jacobian(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """Per-sample gradients of a scalar-output network, (m, P) float64, by torch.func."""
    model = model.double()
    params = {k: v.detach() for k, v in model.named_parameters()}

    def f(p, xi):
        return functional_call(model, p, (xi.unsqueeze(0),)).reshape(())

    jac = vmap(jacrev(f), in_dims=(None, 0))(params, x.double())
    return torch.cat([j.reshape(len(x), -1) for j in jac.values()], dim=1).numpy()


def tanh_mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))  # P = 21


def deep_linear(seed: int) -> nn.Module:
    """f(x) = w2ᵀ W1 x: every per-sample gradient is linear in x ∈ R⁴, so J has rank 4 < m, P."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6, bias=False), nn.Linear(6, 1, bias=False))  # P = 30


CASES = {
    "m < P": (tanh_mlp, 12, 3, 12),
    "m > P (K singular)": (tanh_mlp, 40, 3, 21),
    "rank-deficient J": (deep_linear, 20, 4, 4),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("outputs", [None, 3])
def test_both_routes_equal_scipy_lstsq_on_the_jacobian(case, outputs):
    net, m, d, rank = CASES[case]
    g = torch.Generator().manual_seed(0)
    x, x_test = 2 * torch.randn(m, d, generator=g), 2 * torch.randn(7, d, generator=g)
    J, J_test = jacobian(net(1), x), jacobian(net(1), x_test)
    y = np.random.default_rng(2).standard_normal((m,) if outputs is None else (m, outputs))
    u, *_ = scipy.linalg.lstsq(J, y)  # the minimum-norm solution J⁺y (Samarin et al.'s solver)
    sigma = np.linalg.svd(J, compute_uv=False)[:rank]
    assert np.linalg.matrix_rank(J) == rank
    # solving with K = J Jᵀ squares J's condition number: forward errors up to about eps · cond(J)²
    rtol = max(1e-10, 10 * np.finfo(float).eps * (sigma[0] / sigma[-1]) ** 2)

    dual = kernel_regression(J @ J.T, y, J_test @ J.T)
    assert dual.rank == rank and dual.solver == "eigh"
    assert dual.train_predictions.shape == y.shape and dual.test_predictions.shape == (7, *y.shape[1:])
    assert np.allclose(dual.test_predictions, J_test @ u, rtol=0, atol=rtol * np.abs(J_test @ u).max())
    assert np.allclose(dual.train_predictions, J @ u, rtol=0, atol=rtol * np.abs(y).max())
    assert np.allclose(J.T @ dual.dual_coef, u, rtol=0, atol=rtol * np.abs(u).max())  # u = Jᵀα
    assert np.allclose(dual.predict(J_test @ J.T), dual.test_predictions)

    primal = least_squares(torch.tensor(J), y)
    assert primal.rank == rank
    assert np.allclose(primal.coef, u, rtol=1e-10, atol=1e-10 * np.abs(u).max())
    assert np.allclose(primal.predict(J_test), J_test @ u, rtol=1e-10, atol=1e-10 * np.abs(J_test @ u).max())


def test_ridge_matches_scikit_learn_and_a_direct_solve():
    g = np.random.default_rng(0)
    X, X_test = g.standard_normal((50, 8)), g.standard_normal((9, 8))
    K, K_test = X @ X.T, X_test @ X.T  # rank 8: singular without the ridge
    K = K.astype(np.float32).astype(np.float64)  # the fit gets it in float32 and computes in float64
    y = g.standard_normal((50, 2))
    ref = KernelRidge(alpha=0.3, kernel="precomputed").fit(K, y)
    direct = scipy.linalg.solve(K + 0.3 * np.eye(50), y, assume_a="pos")
    for solver in ("auto", "cholesky", "eigh"):
        fit = kernel_regression(K.astype(np.float32), y, K_test, ridge=0.3, solver=solver)
        assert fit.solver == ("eigh" if solver == "eigh" else "cholesky")
        assert np.allclose(fit.dual_coef, direct, rtol=1e-10, atol=1e-12)
        assert np.allclose(fit.test_predictions, ref.predict(K_test), rtol=1e-10, atol=1e-12)
        assert np.allclose(fit.train_predictions, K @ direct, rtol=1e-10, atol=1e-12)


def test_cholesky_falls_back_to_the_eigendecomposition(caplog):
    X = np.random.default_rng(1).standard_normal((10, 3))
    K, y = X @ X.T, np.arange(10.0)
    with caplog.at_level(logging.WARNING):
        fit = kernel_regression(K, y, solver="cholesky")
    assert fit.solver == "eigh" and fit.rank == 3 and "not positive definite" in caplog.text
    assert np.allclose(fit.dual_coef, scipy.linalg.pinvh(K) @ y)


def test_indefinite_input_is_reported_not_clipped(caplog):
    K = np.diag([4.0, 1.0, -0.5, 1e-18])
    y = np.ones(4)
    with caplog.at_level(logging.WARNING):
        fit = kernel_regression(K, y)
    assert "indefinite" in caplog.text
    assert fit.diagnostics.min_eigenvalue == -0.5 and fit.diagnostics.min_eigenvalue_ratio == -0.125
    assert fit.rank == 3  # |λ| above the cutoff, as scipy.linalg.pinvh: the negative direction is kept
    assert np.allclose(fit.dual_coef, [0.25, 1.0, -2.0, 0.0])


def test_default_cutoff_follows_the_input_precision():
    K = np.diag([1.0, 1e-9])
    assert kernel_regression(K, np.ones(2)).rank == 2  # float64: 1e-9 is well above 2·eps
    fit32 = kernel_regression(torch.tensor(K, dtype=torch.float32), np.ones(2))
    assert fit32.rank == 1 and fit32.cutoff == pytest.approx(2 * np.finfo(np.float32).eps)
    assert kernel_regression(K, np.ones(2), rcond=1e-6).rank == 1


def test_regression_rejects_bad_input():
    K = np.eye(3)
    with pytest.raises(ValueError, match="rows"):
        kernel_regression(K, np.ones(4))
    with pytest.raises(ValueError, match="columns"):
        kernel_regression(K, np.ones(3), np.ones((2, 4)))
    with pytest.raises(ValueError, match="square"):
        kernel_regression(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        kernel_regression(K, np.ones(3), ridge=-1.0)
    with pytest.raises(NumericalError, match="non-finite"):
        kernel_regression(np.diag([1.0, np.inf, 1.0]), np.ones(3))
    with pytest.raises(NumericalError, match="symmetric"):
        kernel_regression(np.triu(np.ones((3, 3))), np.ones(3))
    with pytest.raises(ValueError, match="rows"):
        least_squares(np.ones((3, 5)), np.ones(2))
    with pytest.raises(ValueError, match="parameters"):
        least_squares(np.eye(3), np.ones(3)).predict(np.ones((2, 4)))


# ------------------------------------------------------------------------------------------------
# hard-margin SVM


def symmetric_problem(seed: int, n: int = 40, d: int = 6):
    """Points X ∪ −X with labels y ∪ −y, y = sign(x·v): separable, and the max-margin separator
    with a bias has bias 0 by symmetry, so SVC's solution is the no-bias one."""
    g = np.random.default_rng(seed)
    X = g.standard_normal((n, d))
    y = np.sign(X @ g.standard_normal(d))
    X, y = np.concatenate([X, -X]), np.concatenate([y, -y])
    X_test = g.standard_normal((15, d))
    return X @ X.T, y, X_test @ X.T


def svc_margin(svc: SVC, K: np.ndarray) -> float:
    coef, sv = svc.dual_coef_[0], svc.support_
    return 1.0 / math.sqrt(coef @ K[np.ix_(sv, sv)] @ coef)


@pytest.mark.parametrize("solver", ["exact", "jst1"])
def test_svm_matches_scikit_learn_where_the_bias_is_zero(solver):
    K, y, K_test = symmetric_problem(0)
    svc = SVC(kernel="precomputed", C=1e6, tol=1e-8).fit(K, y)
    assert abs(svc.intercept_[0]) < 1e-6
    fit = hard_margin_svm(K, y, solver=solver, tol=1e-4, dtype=torch.float64)
    assert fit.converged and fit.gap <= 1e-4 and fit.training_error == 0.0
    # the margin is reported on features scaled to mean norm 1 (K / Z²)
    Z = 1e-4 + np.sqrt(np.diag(K)).mean()
    assert fit.scale == pytest.approx(Z, rel=1e-15)
    assert fit.margin * Z == pytest.approx(svc_margin(svc, K), rel=2e-4)
    assert fit.margin <= fit.margin_upper_bound
    # the same classifier: decision functions proportional, same predictions
    ours, theirs = fit.decision_function(K_test), svc.decision_function(K_test)
    assert np.allclose(ours / np.abs(ours).max(), theirs / np.abs(theirs).max(), atol=1e-3)
    assert np.array_equal(fit.predict(K_test), np.where(theirs > 0, 1.0, -1.0))


@pytest.mark.parametrize("solver", ["exact", "jst1"])
def test_svm_closed_form_margins(solver):
    # orthonormal features: w ∝ Σ y_i e_i, margin 1/√m; the scale Z is 1 + 1e-4
    y = np.array([1.0, -1, -1, 1, 1, -1, 1, 1])
    fit = hard_margin_svm(np.eye(8), y, solver=solver, tol=1e-6)
    assert fit.margin == pytest.approx(1 / math.sqrt(8) / 1.0001, rel=1e-6)
    # two unit vectors with inner product k, opposite labels: half the distance between φ_1 and φ_2
    for k in (-0.5, 0.0, 0.9):
        fit = hard_margin_svm(np.array([[1.0, k], [k, 1.0]]), np.array([1.0, -1.0]), solver=solver, tol=1e-6)
        assert fit.margin == pytest.approx(math.sqrt((1 - k) / 2) / 1.0001, rel=1e-6)


def test_margin_is_long_s_definition_on_the_scaled_features():
    K, y, _ = symmetric_problem(1)
    K = 9.0 * K
    fit = hard_margin_svm(K, y, tol=1e-6)
    f = fit.decision_function(K)  # w · φ̃(x_i), with w = Σ coef_i φ̃(x_i) and φ̃ = φ / Z
    norm_w = math.sqrt(fit.coef @ K @ fit.coef) / fit.scale
    assert np.min(y * f) / norm_w == pytest.approx(fit.margin, rel=1e-12)
    # features scaled by 3: the unscaled margin γ·Z scales by 3
    small = hard_margin_svm(K / 9.0, y, tol=1e-6)
    assert fit.margin * fit.scale == pytest.approx(3 * small.margin * small.scale, rel=1e-6)


def jst1_primal(Phi: np.ndarray, y: np.ndarray, steps: int) -> np.ndarray:
    """Long's JSTone on explicit features, transcribed: rows y_i φ_i / Z, w = g = 0, step size 1."""
    Z = 1e-4 + np.linalg.norm(Phi, axis=1).mean()
    rows = y[:, None] * Phi / Z
    w, g = np.zeros(Phi.shape[1]), np.zeros(Phi.shape[1])
    for t in range(steps):
        pred = rows @ w
        q = np.exp(-pred - np.max(-pred))
        q /= q.sum()
        grad = -rows.T @ q  # ∇_w logsumexp(−Zw)
        g = (g + grad) * t / (t + 1)
        w = w - (g + grad)
    return w / Z  # Long predicts with w · (φ(x) / Z)


def test_jst1_is_long_s_algorithm_kernelized():
    g = np.random.default_rng(5)
    Phi = g.standard_normal((30, 10)) * 3.0
    y = np.sign(Phi @ g.standard_normal(10))
    with pytest.warns(SVMConvergenceWarning, match="raise iterations"):
        fit = hard_margin_svm(Phi @ Phi.T, y, solver="jst1", iterations=40, check_every=10**6, dtype=torch.float64)
    assert fit.iterations == 40 and not fit.converged
    w = jst1_primal(Phi, y, 40)
    X_test = g.standard_normal((6, 10))
    assert np.allclose(fit.decision_function(X_test @ Phi.T), X_test @ w, rtol=1e-10)


def test_jst1_in_float32_reaches_the_exact_margin(caplog):
    K, y, K_test = symmetric_problem(2, n=60, d=12)
    exact = hard_margin_svm(K, y, tol=1e-5)
    with caplog.at_level(logging.INFO, logger="ntkrepro.fits.svm"):
        fast = hard_margin_svm(K, y, solver="jst1", tol=1e-3, log_every=100)
    assert fast.converged and exact.converged
    assert fast.margin == pytest.approx(exact.margin, rel=1e-3)
    assert fast.margin_upper_bound >= exact.margin and exact.margin_upper_bound >= fast.margin
    assert "jst1: 100 steps, margin" in caplog.text
    assert np.mean(fast.predict(K_test) == exact.predict(K_test)) >= 0.9


def test_not_separable_through_the_origin_is_reported(caplog):
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])  # x and −x with the same label
    y = np.array([1.0, 1.0, -1.0])
    with caplog.at_level(logging.WARNING), pytest.warns(SVMConvergenceWarning, match="not be separable") as warned:
        fit = hard_margin_svm(X @ X.T, y, iterations=2000)
    assert not fit.converged and fit.margin <= 0 and "not be separable" in caplog.text
    assert issubclass(warned[0].category, ConvergenceWarning)  # what scikit-learn users filter


def test_svm_rejects_bad_input():
    K = np.eye(3)
    with pytest.raises(ValueError, match=r"^y_train holds 3 distinct labels \(0, 1, 2\); a binary SVM takes two$"):
        hard_margin_svm(K, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="labels"):
        hard_margin_svm(K, np.ones(4))
    with pytest.raises(ValueError, match="solver"):
        hard_margin_svm(K, np.ones(3), solver="smo")
    with pytest.raises(NumericalError, match="non-finite"):
        hard_margin_svm(np.full((3, 3), np.nan), np.ones(3))
    with pytest.raises(NumericalError, match="symmetric"):
        hard_margin_svm(np.triu(np.ones((3, 3))), np.ones(3))
    with pytest.raises(NumericalError, match="diagonal entry"):
        hard_margin_svm(np.diag([1.0, -1.0, 1.0]), np.ones(3))
    fit = hard_margin_svm(K, np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="columns"):
        fit.decision_function(np.ones((2, 4)))


@pytest.mark.parametrize("solver", ["exact", "jst1"])
def test_coinciding_class_means_are_refused_in_one_line(solver):
    # Σ y_i φ_i = 0: the origin is the hull's centre, no separator through it exists
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]) + 0.5
    with pytest.raises(NumericalError, match=r"^k_train, y_train: Σ_i y_i φ\(x_i\) = 0 .*no separator through the origin"):
        hard_margin_svm(X @ X.T, np.array([1.0, 1.0, -1.0, -1.0]), solver=solver)


@pytest.mark.parametrize("solver", ["exact", "jst1"])
@pytest.mark.parametrize("K,y", [
    (np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([1.0, -1.0])),  # a 2x2 minor is negative
    (np.full((3, 3), -0.9) + 1.9 * np.eye(3), np.ones(3)),  # every 2x2 minor fine, 1ᵀK1 < 0
    (np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), np.ones(3)),  # qᵀKq > 0 on the whole simplex
])
def test_a_kernel_that_is_not_psd_is_refused_in_one_line(solver, K, y):
    with pytest.raises(NumericalError, match=r"^k_train is not positive semi-definite: ") as e:
        hard_margin_svm(K, y, solver=solver)
    assert len(str(e.value).splitlines()) == 1


@pytest.mark.parametrize("solver", ["exact", "jst1"])
def test_any_two_labels_fit_as_plus_and_minus_one_and_predict_in_the_callers_labels(solver):
    K, y, K_test = symmetric_problem(3, n=20)
    reference = hard_margin_svm(K, y, solver=solver, tol=1e-4)
    signs = reference.predict(K_test)
    assert signs.dtype == np.float64 and set(signs) <= {-1.0, 1.0}
    for negative, positive in ((0, 1), ("cat", "dog"), (3.5, -2.0)):
        labels = np.where(y > 0, positive, negative)
        fit = hard_margin_svm(K, labels, solver=solver, tol=1e-4)
        # scikit-learn's order: the larger label is the positive class
        flip = 1.0 if sorted([negative, positive])[1] == positive else -1.0
        assert np.allclose(fit.coef, flip * reference.coef) and fit.margin == reference.margin
        expected = np.where(flip * signs > 0, max(negative, positive), min(negative, positive))
        assert fit.predict(K_test).tolist() == expected.tolist()
        assert fit.training_error == 0.0 and fit.classes.tolist() == sorted([negative, positive])


def test_the_repr_is_short():
    K, y, _ = symmetric_problem(4, n=100)
    fit = hard_margin_svm(K, y, tol=1e-4)
    text = repr(fit)
    assert len(text) < 200 and "\n" not in text, text
    assert text.startswith("HardMarginSVM(m=200, solver='exact', margin=") and "converged=True" in text
