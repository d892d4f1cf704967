"""How the public kernel functions read their arguments as a notebook user passes them: the dtype
a model brings, names given as one string, and inputs refused with one line naming the argument."""

from collections import OrderedDict

import pytest
import torch
from conftest import LeNet10, SmallCNN, reference_ntk, relative_error
from torch import nn

from ntkrepro import ntk


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(3)
    return torch.randn(7, 3, 8, 8, generator=g), torch.randn(4, 3, 8, 8, generator=g)


def test_a_float64_model_gets_a_float64_kernel_and_an_explicit_dtype_is_honoured(data):
    x1, x2 = data
    torch.manual_seed(0)
    model = SmallCNN()
    double = SmallCNN().double()
    double.load_state_dict(model.state_dict())
    reference = reference_ntk(model, x1, x2)
    K = ntk.gram(double, x1.double(), x2.double())
    assert K.dtype == torch.float64 and relative_error(K, reference) < 1e-12
    assert ntk.gram(model, x1, x2).dtype == torch.float32
    assert ntk.gram(double, x1, x2, dtype=torch.float32).dtype == torch.float32
    assert ntk.gram(model, x1, x2, dtype=torch.float64).dtype == torch.float64
    assert ntk.kernel(double, x1, kind="output").dtype == torch.float64
    assert ntk.gram_by_layer(double, x1)["conv1"].dtype == torch.float64
    assert ntk.paired(double, x1, x1).dtype == torch.float64
    assert ntk.per_sample_gradients(double, x1).dtype == torch.float64


def test_the_default_dtype_leaves_a_float32_models_kernel_bit_for_bit_as_before(data):
    x1, _ = data
    torch.manual_seed(0)
    model = LeNet10()
    assert torch.equal(ntk.gram(model, x1, outputs="full"), ntk.gram(model, x1, outputs="full", dtype=torch.float32))


def test_one_string_is_one_name_for_parameters_and_for_layers(data):
    x1, _ = data
    torch.manual_seed(0)
    model = nn.Sequential(OrderedDict(flat=nn.Flatten(), hidden=nn.Linear(192, 5), relu=nn.ReLU(), out=nn.Linear(5, 1)))
    assert torch.equal(ntk.gram(model, x1, parameters="out"), ntk.gram(model, x1, parameters=["out"]))
    parts = ntk.gram_by_layer(model, x1, layers="out")
    assert list(parts) == ["out"] and torch.equal(parts["out"], ntk.gram(model, x1, parameters=["out"]))
    with pytest.raises(TypeError, match=r"layers= takes module or parameter names.*\[3\]"):
        ntk.gram_by_layer(model, x1, layers=[3])
