"""Feature kernels against forward hooks, paired (diagonal) kernels, per-sample gradients, numpy
inputs."""

import copy

import numpy as np
import pytest
import torch
from conftest import LeNet10, SmallCNN, jacobian, reference_ntk, relative_error

from ntkrepro import ntk


@pytest.fixture
def lenet():
    torch.manual_seed(0)
    return LeNet10()


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(5)
    return torch.randn(9, 3, 8, 8, generator=g), torch.randn(6, 3, 8, 8, generator=g)


def hooked(model, module, x, take):
    """The flattened input or output of ``module`` over ``x``, seen by a plain forward hook (float64)."""
    model = copy.deepcopy(model).double().eval()
    module = dict(model.named_modules())[module]
    seen = []
    handle = module.register_forward_hook(lambda m, i, o: seen.append(i[0] if take == "input" else o))
    with torch.no_grad():
        model(x.double())
    handle.remove()
    return seen[0].reshape(len(x), -1)


@pytest.mark.parametrize(
    "kind,module,take",
    [("conjugate", "classifier.2", "input"), ("module:features.4", "features.4", "output"),
     ("module:classifier", "classifier", "output"), ("output", "classifier", "output")],
)
def test_feature_kernels_match_forward_hooks(lenet, data, kind, module, take):
    x1, x2 = data
    phi1, phi2 = hooked(lenet, module, x1, take), hooked(lenet, module, x2, take)
    square = ntk.kernel(lenet, x1, kind=kind, dtype=torch.float64, block_size=4)
    rectangular = ntk.kernel(lenet, x1, x2, kind=kind, dtype=torch.float64, block_size=4)
    assert relative_error(square, phi1 @ phi1.T) < 1e-12 and torch.equal(square, square.T)
    assert relative_error(rectangular, phi1 @ phi2.T) < 1e-12


def test_nngp_is_the_mean_over_outputs_as_neural_tangents_empirical_nngp(lenet, data, tmp_path):
    # empirical_nngp_fn(f, trace_axes=(-1,)): (1/C) Σ_c f_c(x) f_c(x′); kind="output" is the sum
    x1, x2 = data
    f1, f2 = hooked(lenet, "classifier", x1, "output"), hooked(lenet, "classifier", x2, "output")
    nngp = ntk.kernel(lenet, x1, x2, kind="nngp", dtype=torch.float64, block_size=4)
    assert f1.shape[1] == 10 and relative_error(nngp, f1 @ f2.T / 10) < 1e-12
    assert relative_error(ntk.kernel(lenet, x1, x2, kind="output", dtype=torch.float64), 10 * nngp) < 1e-12
    assert relative_error(ntk.paired(lenet, x1[:6], x2, kind="nngp", dtype=torch.float64), (f1[:6] * f2).sum(1) / 10) < 1e-12
    ntk.write_gram(lenet, x1, tmp_path / "nngp.h5", kind="nngp")
    assert np.allclose(ntk.read_gram(tmp_path / "nngp.h5", kernel="nngp"), ntk.kernel(lenet, x1, kind="nngp"))


def test_input_kernel_needs_no_model_and_takes_targets():
    x = np.random.default_rng(0).standard_normal((8, 2, 3, 3))
    K = ntk.kernel(None, x, kind="input", dtype=torch.float64)
    flat = torch.from_numpy(x).reshape(8, -1)
    assert relative_error(K, flat @ flat.T) < 1e-14
    labels = torch.tensor([0, 2, 1, 2])
    target = ntk.kernel(None, torch.nn.functional.one_hot(labels).double(), kind="input", dtype=torch.float64)
    assert torch.equal(target, (labels[:, None] == labels[None, :]).double())


def test_numpy_inputs_give_the_same_kernels(lenet, data):
    x1, x2 = data
    expected = ntk.gram(lenet, x1, x2, outputs="trace")
    got = ntk.gram(lenet, x1.numpy(), x2.numpy(), outputs="trace")
    assert isinstance(got, torch.Tensor) and torch.equal(got, expected)
    assert torch.equal(ntk.paired(lenet, x1.numpy(), x1.numpy(), outputs="trace"), ntk.paired(lenet, x1, x1, outputs="trace"))


@pytest.mark.parametrize("outputs", ["full", "trace"])
def test_paired_ntk_is_the_diagonal_of_the_cross_kernel(lenet, data, outputs):
    x1, x2 = data
    shifted = torch.roll(x1, 1, dims=-1)  # K(x, Tx) for a transformation T
    got = ntk.paired(lenet, x1, shifted, outputs=outputs, dtype=torch.float64, implementation="layerwise")
    reference = reference_ntk(lenet, x1, shifted, outputs=outputs)
    assert got.shape == ((9, 10, 10) if outputs == "full" else (9,))
    assert relative_error(got, reference.diagonal(dim1=0, dim2=1).movedim(-1, 0)) < 1e-10


def test_paired_feature_kernel_and_scalar_ntk(data):
    x1, _ = data
    shifted = torch.roll(x1, 1, dims=-2)
    model = SmallCNN()
    ntk_pairs = ntk.paired(model, x1, shifted, dtype=torch.float64, implementation="layerwise")
    assert relative_error(ntk_pairs, reference_ntk(model, x1, shifted).diagonal()) < 1e-10
    conj = ntk.paired(model, x1, shifted, kind="conjugate", dtype=torch.float64)
    assert relative_error(conj, ntk.kernel(model, x1, shifted, kind="conjugate", dtype=torch.float64).diagonal()) < 1e-12


def test_paired_needs_equal_lengths(lenet, data):
    with pytest.raises(ValueError, match="equal length"):
        ntk.paired(lenet, *data)


@pytest.mark.parametrize("implementation", ["layerwise", "torch.func"])
def test_per_sample_gradients_match_torch_func(lenet, data, implementation):
    x1, _ = data
    full = ntk.per_sample_gradients(lenet, x1, outputs="full", dtype=torch.float64, implementation=implementation)
    assert full.shape == (9, 10, sum(p.numel() for p in lenet.parameters()))
    assert relative_error(full, jacobian(lenet, x1)) < 1e-12
    chosen = ntk.per_sample_gradients(lenet, x1, outputs="full", parameters=["classifier.2"], dtype=torch.float64)
    assert relative_error(chosen, jacobian(lenet, x1, ["classifier.2"])) < 1e-12
    model = SmallCNN()
    scalar = ntk.per_sample_gradients(model, x1, dtype=torch.float64, implementation=implementation)
    assert relative_error(scalar, jacobian(model, x1)[:, 0]) < 1e-12


def test_feature_kernels_refuse_ntk_options(lenet, data):
    with pytest.raises(ValueError, match="apply to kind='ntk' only"):
        ntk.kernel(lenet, data[0], kind="conjugate", outputs="full")
    with pytest.raises(ValueError, match="no module 'classifier.7'"):
        ntk.kernel(lenet, data[0], kind="module:classifier.7")
    with pytest.raises(ValueError, match="unknown kernel kind"):
        ntk.kernel(lenet, data[0], kind="jacobian")
