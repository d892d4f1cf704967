"""Multi-output NTKs (full and trace), parameter groups and torchvision networks, against float64
references built from torch.func Jacobians, through the strict (layerwise) path."""

import numpy as np
import pytest
import torch
import torchvision
from conftest import (
    MLP10,
    LeNet10,
    RawParameterNet,
    SmallResNet10,
    randomize_batchnorm,
    reference_ntk,
    reference_ntk_products,
    relative_error,
)

from ntkrepro import ntk
from ntkrepro.errors import UnsupportedNetwork

NETWORKS = {
    "mlp": lambda g: MLP10(),
    "lenet": lambda g: LeNet10(),
    "resnet": lambda g: randomize_batchnorm(SmallResNet10(), g),
}
_CASES = {}


def case(name):
    """(model, x1 (7 samples), x2 (5 samples)) from fixed seeds."""
    if name not in _CASES:
        torch.manual_seed(0)
        g = torch.Generator().manual_seed(7)
        _CASES[name] = (NETWORKS[name](g), torch.randn(7, 3, 8, 8, generator=g), torch.randn(5, 3, 8, 8, generator=g))
    return _CASES[name]


@pytest.mark.parametrize("outputs", ["full", "trace"])
@pytest.mark.parametrize("name", NETWORKS)
def test_multi_output_kernels_match_reference(name, outputs):
    model, x1, x2 = case(name)
    square = ntk.gram(model, x1, outputs=outputs, dtype=torch.float64, block_size=3, implementation="layerwise")
    rectangular = ntk.gram(model, x1, x2, outputs=outputs, dtype=torch.float64, block_size=4, implementation="layerwise")
    expected = (7, 7, 10, 10) if outputs == "full" else (7, 7)
    assert square.shape == expected and rectangular.shape == (7, 5, *expected[2:])
    assert relative_error(square, reference_ntk(model, x1, outputs=outputs)) < 1e-10
    assert relative_error(rectangular, reference_ntk(model, x1, x2, outputs=outputs)) < 1e-10
    assert torch.equal(square, square.transpose(0, 1).transpose(2, 3) if outputs == "full" else square.T)


@pytest.mark.parametrize("name", NETWORKS)
def test_float32_multi_output_kernel_is_exact_to_float32_rounding(name):
    model, x1, _ = case(name)
    K = ntk.gram(model, x1, outputs="full", block_size=4, implementation="layerwise")
    assert K.dtype == torch.float32
    assert relative_error(K, reference_ntk(model, x1, outputs="full")) < 1e-5


def test_torchvision_resnet18_stays_on_the_fast_path():
    """In-place ReLU and the in-place residual sum (``out += identity``) of torchvision's ResNet."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    model = randomize_batchnorm(torchvision.models.resnet18(num_classes=10), g)
    x = torch.randn(4, 3, 16, 16, generator=g)
    reference = reference_ntk_products(model, x, x)  # (4, 4, 10, 10)
    square = ntk.gram(model, x[:3], outputs="full", dtype=torch.float64, block_size=2, implementation="layerwise")
    assert relative_error(square, reference[:3, :3]) < 1e-10
    rectangular = ntk.gram(model, x[:3], x[3:], outputs="trace", implementation="layerwise")  # float32
    assert relative_error(rectangular, reference[:3, 3:].diagonal(dim1=2, dim2=3).mean(-1)) < 1e-5


def test_the_two_references_agree():
    model, x1, x2 = case("resnet")
    assert relative_error(reference_ntk_products(model, x1[:3], x2[:2]), reference_ntk(model, x1[:3], x2[:2], outputs="full")) < 1e-12


@pytest.mark.parametrize("outputs", ["full", "trace"])
def test_parameters_restrict_the_kernel_to_those_parameters(outputs):
    model, x1, x2 = case("lenet")
    for chosen in (["classifier.2"], ["features.0.weight", "classifier.0"], ["features"]):
        K = ntk.gram(model, x1, x2, outputs=outputs, parameters=chosen, dtype=torch.float64, implementation="layerwise")
        assert relative_error(K, reference_ntk(model, x1, x2, outputs=outputs, parameters=chosen)) < 1e-10


def test_kernels_by_layer_match_the_restricted_references_and_sum_to_the_whole():
    model, x1, _ = case("resnet")
    groups = ["stem", "block1", "block2.conv1", "fc"]
    parts = ntk.gram_by_layer(model, x1, layers=groups, outputs="full", dtype=torch.float64, block_size=3,
                              implementation="layerwise")
    assert list(parts) == groups
    for name, K in parts.items():
        assert relative_error(K, reference_ntk(model, x1, outputs="full", parameters=[name])) < 1e-10
    every = ntk.gram_by_layer(model, x1, dtype=torch.float64, outputs="trace", implementation="layerwise")
    assert len(every) == sum(1 for m in model.modules() if list(m.parameters(recurse=False)))
    whole = ntk.gram(model, x1, dtype=torch.float64, outputs="trace")
    assert relative_error(sum(every.values()), whole) < 1e-12


def test_restricting_to_supported_layers_keeps_the_fast_path():
    model, x = RawParameterNet(), torch.randn(5, 3, 8, 8)
    with pytest.raises(UnsupportedNetwork):
        ntk.gram(model, x, implementation="layerwise")
    K = ntk.gram(model, x, parameters=["out"], dtype=torch.float64, implementation="layerwise")
    assert relative_error(K, reference_ntk(model, x, parameters=["out"])) < 1e-10


def test_bad_parameter_names_and_groups_are_named():
    model, x1, _ = case("lenet")
    with pytest.raises(ValueError, match="'classifier.9'.*layers: features.0, features.3"):
        ntk.gram(model, x1, outputs="trace", parameters=["classifier.9"])
    with pytest.raises(ValueError, match="several groups"):
        ntk.gram_by_layer(model, x1, outputs="trace", layers=["classifier", "classifier.0"])
    with pytest.raises(ValueError, match="split between groups"):
        ntk.gram_by_layer(model, x1, outputs="trace", layers=["classifier.0.weight", "classifier.0.bias"])


def test_full_kernel_as_a_sample_major_matrix():
    model, x1, _ = case("mlp")
    K = ntk.gram(model, x1, outputs="full", dtype=torch.float64)
    M = ntk.sample_major(K)
    assert M.shape == (70, 70) and torch.equal(M, M.T)
    assert M[3 * 10 + 2, 5 * 10 + 7] == K[3, 5, 2, 7]
    assert np.array_equal(ntk.sample_major(K.numpy()), M.numpy())
    assert torch.linalg.eigvalsh(M).min() > -1e-10 * torch.linalg.eigvalsh(M).max()


def test_results_do_not_depend_on_the_number_of_worker_threads():
    """Work is cut into units by the tiling alone, so 1, 2 or 3 workers give the same bits."""
    model, _, _ = case("lenet")
    x = torch.randn(300, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    threads = torch.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            results.append(ntk.gram(model, x, outputs="trace", block_size=160))
            assert torch.get_num_threads() == n  # restored after the workers
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(results[0], results[1]) and torch.equal(results[0], results[2])
