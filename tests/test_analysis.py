"""Kernel measures against hand-checkable matrices and explicit numpy/scipy formulas."""

import math

import numpy as np
import pytest
import scipy.stats
import torch

from ntkrepro import analysis as A
from ntkrepro.errors import NumericalError


@pytest.fixture
def grams():
    g = np.random.default_rng(0)
    X1, X2 = g.standard_normal((30, 5)), g.standard_normal((30, 8))
    return X1 @ X1.T + 2.0, X2 @ X2.T  # one with a large constant part, which centring removes


def explicit_cka(K1, K2):
    H = np.eye(len(K1)) - np.ones_like(K1) / len(K1)
    C1, C2 = H @ K1 @ H, H @ K2 @ H
    return np.sum(C1 * C2) / (np.linalg.norm(C1) * np.linalg.norm(C2))


def test_alignment_of_hand_checkable_matrices():
    # ⟨I, 11ᵀ⟩ = 2, ‖I‖ = √2, ‖11ᵀ‖ = 2
    assert A.alignment(np.eye(2), np.ones((2, 2))) == pytest.approx(1 / math.sqrt(2), rel=1e-15)
    assert A.alignment(np.diag([3.0, 0.0]), np.diag([0.0, 5.0])) == 0.0
    assert A.kernel_distance(np.eye(3), 7 * np.eye(3)) == pytest.approx(0.0, abs=1e-15)
    assert A.kernel_distance(np.eye(2), np.ones((2, 2))) == pytest.approx(1 - 1 / math.sqrt(2), rel=1e-15)


def test_labels_stand_for_the_target_kernel(grams):
    K = grams[0]
    y = np.where(np.arange(30) % 3 == 0, 1.0, -1.0)
    onehot = np.eye(4)[np.arange(30) % 4]
    for labels in (y, onehot, torch.tensor(onehot)):
        Ky = A.target_kernel(labels)
        Y = np.asarray(labels).reshape(30, -1)
        assert np.array_equal(Ky, Y @ Y.T)
        assert A.alignment(K, labels) == pytest.approx(np.sum(K * Ky) / (np.linalg.norm(K) * np.linalg.norm(Ky)))
        assert A.cka(K, labels) == pytest.approx(explicit_cka(K, Ky), rel=1e-12)


def test_cka_is_centred_alignment(grams):
    K1, K2 = grams
    assert A.cka(K1, K2) == pytest.approx(explicit_cka(K1, K2), rel=1e-12)
    assert A.cka(K1, K1) == pytest.approx(1.0, rel=1e-14)
    # invariant to isotropic scaling and to a constant added to every entry (which centring removes)
    assert A.cka(5.0 * K1, K2) == pytest.approx(A.cka(K1, K2), rel=1e-12)
    assert A.cka(K1 + 10.0, K2) == pytest.approx(A.cka(K1, K2), rel=1e-12)
    # the uncentred alignment is not invariant to the constant
    assert abs(A.alignment(K1 + 10.0, K2) - A.alignment(K1, K2)) > 1e-3
    H = np.eye(30) - 1 / 30
    assert np.allclose(A.centre(K1), H @ K1 @ H, atol=1e-12)


def test_cumulative_power_on_an_orthonormal_basis():
    basis = np.linalg.qr(np.random.default_rng(1).standard_normal((6, 6)))[0].T  # rows orthonormal
    y = 3 * basis[0] + 4 * basis[2]  # squared norm 25: 9 on φ_1, 16 on φ_3
    assert np.allclose(A.cumulative_power(basis, y), [9 / 25, 9 / 25, 1, 1, 1, 1], atol=1e-14)
    # truncated basis: shares of the whole target norm; √C is the energy concentration ‖Φy‖/‖y‖
    assert np.allclose(A.cumulative_power(basis[:2], y), [9 / 25, 9 / 25], atol=1e-14)
    assert math.sqrt(A.cumulative_power(basis[:3], y)[-1]) == pytest.approx(
        np.linalg.norm(basis[:3] @ y) / np.linalg.norm(y)
    )
    Y = np.stack([y, basis[5]], axis=1)  # multi-output: squared norms add over outputs
    assert np.allclose(A.cumulative_power(basis, Y), np.array([9, 9, 25, 25, 25, 26]) / 26, atol=1e-14)


def test_effective_rank_of_known_spectra():
    assert A.effective_rank([2.0, 2.0, 2.0, 2.0]) == pytest.approx(4.0, rel=1e-14)
    assert A.effective_rank([2.0, 2.0, 2.0, 2.0], of="eigen") == pytest.approx(4.0, rel=1e-14)
    # λ = (4, 1): σ = (2, 1) -> p = (2/3, 1/3); λ itself -> p = (4/5, 1/5)
    singular = math.exp(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3))
    eigen = math.exp(-0.8 * math.log(0.8) - 0.2 * math.log(0.2))
    assert A.effective_rank([1.0, 4.0]) == pytest.approx(singular, rel=1e-14)
    assert A.effective_rank([1.0, 4.0], of="eigen") == pytest.approx(eigen, rel=1e-14)
    assert singular == pytest.approx(1.8899, abs=1e-4) and eigen == pytest.approx(1.6494, abs=1e-4)
    # a random spectrum with zeros (and rounding-level negatives) against scipy on the non-zero σ
    lam = np.concatenate([np.random.default_rng(2).exponential(size=50), [0.0, -1e-16]])
    sigma = np.sqrt(lam[:50])
    assert A.effective_rank(lam) == pytest.approx(math.exp(scipy.stats.entropy(sigma / sigma.sum())), rel=1e-12)
    with pytest.raises(ValueError, match="singular"):
        A.effective_rank(lam, of="svd")


def test_singular_spectrum_and_condition_number():
    spec = A.singular_spectrum([9.0, 1e-20, 4.0, 0.25, -1e-18])
    assert np.array_equal(spec.values, [3.0, 2.0, 0.5, 0.0, 0.0])
    assert spec.rank == 3 and spec.smallest_nonzero == 0.5
    assert spec.cutoff == pytest.approx(5 * np.finfo(float).eps * 9.0)
    assert spec.condition_number == 6.0
    assert A.condition_number([9.0, 4.0, 0.25]) == 6.0
    assert A.condition_number([9.0, 4.0, 0.25], of="eigen") == 36.0
    with pytest.raises(NumericalError, match="below"):
        A.singular_spectrum([9.0, 4.0, -1e-3])
    # float32 Grams: a larger rtol turns their rounding noise into zeros
    assert A.singular_spectrum([9.0, 4.0, -1e-6], rtol=1e-6).rank == 2


def test_invariance_is_the_cosine_of_features():
    g = np.random.default_rng(3)
    phi, psi = g.standard_normal((10, 7)), g.standard_normal((10, 7))
    cos = np.sum(phi * psi, axis=1) / (np.linalg.norm(phi, axis=1) * np.linalg.norm(psi, axis=1))
    value = A.invariance(np.sum(phi * psi, axis=1), np.sum(phi**2, axis=1), np.sum(psi**2, axis=1))
    assert value == pytest.approx(cos.mean(), rel=1e-14)
    assert A.invariance([2.0], [1.0], [4.0]) == 1.0  # a feature scaled by 2 keeps its direction
    with pytest.raises(NumericalError, match="not positive"):
        A.invariance([0.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="shapes"):
        A.invariance([1.0, 1.0], [1.0], [1.0])


def test_psd_diagnostics_report_without_repair():
    K = np.array([[2.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, -0.5]])  # eigenvalues 1, (1.5 ± √10.25)/2
    d = A.psd_diagnostics(K)
    assert d.asymmetry == 0.0
    assert d.min_eigenvalue == pytest.approx((1.5 - math.sqrt(10.25)) / 2)
    assert d.min_eigenvalue_ratio == pytest.approx((1.5 - math.sqrt(10.25)) / (1.5 + math.sqrt(10.25)))
    K[0, 2] += 0.2
    assert A.psd_diagnostics(K).asymmetry == pytest.approx(0.1)
    big = np.random.default_rng(4).standard_normal((600, 600))  # several tiles
    big[517, 3] += 100.0
    assert A.asymmetry(big) == pytest.approx(np.abs(big - big.T).max() / np.abs(big).max(), rel=1e-15)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="shapes"):
        A.alignment(np.ones((3, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="square"):
        A.cka(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="rows"):
        A.alignment(np.eye(3), np.ones(4))
    with pytest.raises(NumericalError, match="non-finite"):
        A.cka(np.array([[1.0, np.nan], [np.nan, 1.0]]), np.eye(2))
