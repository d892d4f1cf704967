import numpy as np
import pytest
import torch

from ntkrepro import ntk, spectra, tasks
from ntkrepro.errors import ConfigError, NumericalError
from ntkrepro.models import build_model, initialize


@pytest.fixture(scope="module")
def lenet_gram():
    g = torch.Generator().manual_seed(0)
    model = initialize(build_model("lenet", (1, 12, 12)), "lecun-normal", 3)
    return ntk.gram(model, torch.randn(120, 1, 12, 12, generator=g), dtype=torch.float64).numpy()


def test_eigenvectors_are_orthonormal_rows_in_decreasing_order(lenet_gram):
    values, vectors = spectra.eigendecompose(lenet_gram, 30)
    assert vectors.shape == (30, 120)
    assert np.allclose(vectors @ vectors.T, np.eye(30), atol=1e-10)
    assert np.all(np.diff(values) <= 0)
    assert np.allclose(vectors @ lenet_gram, values[:, None] * vectors, atol=1e-8 * values[0])


def test_the_columns_layout_is_numpys(lenet_gram):
    w, V = spectra.eigendecompose(lenet_gram, 12, layout="columns")
    full_w, full_V = np.linalg.eigh(lenet_gram)
    assert V.shape == (120, 12) and np.all(np.diff(w) >= 0)
    assert np.allclose(w, full_w[-12:], rtol=1e-10)
    assert np.allclose(lenet_gram @ V, V * w, atol=1e-8 * w[-1])
    assert np.allclose(np.abs(V.T @ full_V[:, -12:]), np.eye(12), atol=1e-6)
    values, vectors = spectra.eigendecompose(lenet_gram, 12)
    assert np.array_equal(w, values[::-1]) and np.array_equal(V, vectors[::-1].T)
    with pytest.raises(ValueError, match=r"^layout='cols': 'rows' \| 'columns'$"):
        spectra.eigendecompose(lenet_gram, 12, layout="cols")


def test_top_k_agrees_with_full_decomposition(lenet_gram):
    full = np.linalg.eigvalsh(lenet_gram)[::-1]
    values, _ = spectra.eigendecompose(lenet_gram, 15)
    assert np.allclose(values, full[:15], rtol=1e-10)
    all_values, _ = spectra.eigendecompose(lenet_gram, 120)
    assert np.allclose(all_values, full, rtol=1e-8, atol=1e-10 * full[0])


def test_sign_convention_is_fixed(lenet_gram):
    _, vectors = spectra.eigendecompose(lenet_gram, 10)
    rows = np.arange(10)
    assert np.all(vectors[rows, np.abs(vectors).argmax(axis=1)] > 0)


def test_alignment_at_initialization_equals_eigenvalues(lenet_gram):
    values, vectors = spectra.eigendecompose(lenet_gram, 25)
    assert np.allclose(spectra.alpha(vectors, lenet_gram), values, rtol=1e-9)
    # and α(φ) = ‖Σ_i φ(x_i) ∇f(x_i)‖² / ‖φ‖² is scale free
    assert np.allclose(spectra.alpha(3 * vectors, lenet_gram), values, rtol=1e-9)


def test_eigenfunction_labels_are_plus_minus_one(lenet_gram):
    _, vectors = spectra.eigendecompose(lenet_gram, 5)
    task = tasks.eigenfunction_task(vectors[4], 100, "eigenfunction5")
    y = torch.cat([task["y_train"], task["y_test"]])
    assert len(task["y_train"]) == 100 and len(task["y_test"]) == 20
    assert set(y.tolist()) <= {-1, 1}
    assert torch.equal(y, torch.from_numpy(np.where(vectors[4] >= 0, 1, -1).astype(np.int8)))


def test_spectrum_file_round_trip(tmp_path, lenet_gram):
    values, vectors = spectra.eigendecompose(lenet_gram, 8)
    spectra.write_spectrum(values, vectors, tmp_path / "s.h5", {"source": "test"})
    v, phi = spectra.read_spectrum(tmp_path / "s.h5", k=3)
    assert np.array_equal(v, values[:3]) and np.array_equal(phi, vectors[:3])
    with pytest.raises(ConfigError, match="holds 8 eigenpairs"):
        spectra.read_spectrum(tmp_path / "s.h5", k=9)


def test_too_many_eigenpairs_is_a_clear_error(lenet_gram):
    with pytest.raises(ValueError, match=r"^k=121: cannot take 121 eigenpairs of a 120x120 matrix \(k must be in 1\.\.120\)$"):
        spectra.eigendecompose(lenet_gram, 121)


def test_gram_checks_reject_broken_matrices(lenet_gram):
    spectra.check_gram(lenet_gram, source_dtype=np.float64)
    bad = lenet_gram.copy()
    bad[0, 1] += 1e-2 * np.abs(bad).max()
    with pytest.raises(NumericalError, match="not symmetric"):
        spectra.check_gram(bad)
    indefinite = lenet_gram.copy()
    indefinite[0, 1] = indefinite[1, 0] = 2 * np.sqrt(indefinite[0, 0] * indefinite[1, 1])
    with pytest.raises(NumericalError, match="indefinite"):
        spectra.check_gram(indefinite)
    nan = lenet_gram.copy()
    nan[3, 3] = np.nan
    with pytest.raises(NumericalError, match="non-finite"):
        spectra.check_gram(nan)


def test_noise_floor_on_a_kernel_with_a_known_spectrum():
    """Eigenvectors of a float32-stored kernel agree with the exact ones above the recorded floor and
    are noise well below it."""
    m = 300
    g = np.random.default_rng(0)
    q, _ = np.linalg.qr(g.standard_normal((m, m)))
    values = 10.0 ** (-np.arange(m) / 15)  # λ_j/λ_1 = 10^(-(j-1)/15): from 1 down to 1e-20
    K = (q * values) @ q.T
    stored = K.astype(np.float32).astype(np.float64)
    ratio, first = spectra.noise_floor(values, np.trace(K), np.float32)
    assert ratio == pytest.approx(10 * np.finfo(np.float32).eps / 2 * values.sum())
    assert first == int(np.flatnonzero(values < ratio)[0]) + 1
    _, noisy = spectra.eigendecompose(stored, 200)
    cos = np.abs(np.einsum("ij,ji->i", noisy, q[:, :200]))
    assert np.all(cos[: first - 1] > 0.99)  # above the floor: the exact eigenvectors
    assert np.median(cos[first + 30 : 200]) < 0.5  # two decades below it: noise
    assert spectra.noise_floor(values, np.trace(K), np.float64)[1] == int(np.flatnonzero(values < 10 * 2**-53 * values.sum())[0]) + 1


def test_a_task_beyond_the_noise_floor_is_refused_naming_the_key_the_index_and_the_ratio():
    values = np.array([1.0, 1e-3, 1e-9, 1e-12])
    meta = {"noise_floor_index": 3, "noise_floor_ratio": 6e-7, "gram_dtype": "float32"}
    spectra.check_above_noise_floor(meta, values, 2, ["ortiz2021.fig8.target"])  # above: accepted
    with pytest.raises(NumericalError) as e:
        spectra.check_above_noise_floor(meta, values, 3, ["ortiz2021.fig8.target", "ortiz2021.fig9.target"])
    assert str(e.value).startswith("config key ortiz2021.fig8.target, ortiz2021.fig9.target: eigenfunction 3 is below")
    assert "λ_3/λ_1 = 1e-09 < 6e-07" in str(e.value) and "float32 Gram matrix" in str(e.value)
    spectra.check_above_noise_floor({**meta, "noise_floor_index": None}, values, 4, [])  # no floor among them
