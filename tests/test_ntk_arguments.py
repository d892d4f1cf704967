"""How the public kernel functions read their arguments as a notebook user passes them: the dtype
a model brings, names given as one string, and inputs refused with one line naming the argument."""

import re
from collections import OrderedDict

import pytest
import torch
from conftest import LeNet10, SmallCNN, reference_ntk, relative_error
from torch import nn

from ntkrepro import ntk
from ntkrepro.errors import ResourceError


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


def test_a_network_that_does_not_take_the_inputs_is_named_with_the_argument_and_its_shape(data):
    torch.manual_seed(0)
    model = SmallCNN()
    x1, x2 = data
    wrong_size = r"^x1 of shape \(7, 3, 16, 16\): the model fails on these samples .*mat1"
    with pytest.raises(ValueError, match=wrong_size) as e:
        ntk.gram(model, torch.randn(7, 3, 16, 16))
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match=r"^x2 has samples of shape \(3, 9, 9\), x1 of shape \(3, 8, 8\)"):
        ntk.gram(model, x1, torch.randn(4, 3, 9, 9))


def test_one_dimensional_inputs_are_refused_rather_than_taken_as_m_samples():
    model = nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"^x1 has shape \(5,\): .*one sample per row.*x\[:, None\]"):
        ntk.gram(model, torch.randn(5))
    with pytest.raises(ValueError, match=r"^x2 has shape \(5,\)"):
        ntk.kernel(model, torch.randn(5, 1), torch.randn(5), kind="output")


def test_several_inputs_are_refused_naming_the_argument_and_a_one_tensor_wrapper_is_the_way(data):
    # numpy would stack (x, mask) into one array of 2 "samples": a wrong kernel, or a confusing error
    torch.manual_seed(0)
    model = SmallCNN()
    x1, x2 = data
    several = r"^{} is a {} of 2 inputs: the kernels take one tensor of samples .*nn\.Module"
    with pytest.raises(TypeError, match=several.format("x1", "tuple")):
        ntk.gram(model, (x1, x1), outputs="trace")
    with pytest.raises(TypeError, match=several.format("x2", "list")):
        ntk.kernel(model, x1, [x2, x2.numpy()], kind="output")
    with pytest.raises(TypeError, match=several.format("x1", "dict")):
        ntk.paired(model, {"image": x1, "mask": x1}, x1)
    with pytest.raises(TypeError, match=several.format("x", "tuple")):
        ntk.per_sample_gradients(model, (x1, x1))
    with pytest.raises(TypeError, match="mask"):
        ntk.gram(model, x1, mask=x1)  # a keyword argument for the model: Python's own one line

    class Masked(nn.Module):  # a model of two inputs and a keyword argument
        def __init__(self):
            super().__init__()
            self.net = SmallCNN()

        def forward(self, x, mask, *, scale=1.0):
            return self.net(x * mask) * scale

    class OneTensor(nn.Module):  # the wrapper docs/api.md shows: inputs stacked on axis 1, kwargs bound
        def __init__(self, inner, **kwargs):
            super().__init__()
            self.inner, self.kwargs = inner, kwargs

        def forward(self, xm):
            return self.inner(xm[:, 0], xm[:, 1], **self.kwargs)

    masked = Masked()
    mask = (torch.rand(7, 3, 8, 8, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    packed = torch.stack([x1, mask], dim=1)
    wrapped = OneTensor(masked, scale=2.0)
    assert relative_error(ntk.gram(wrapped, packed), reference_ntk(wrapped, packed)) < 1e-5
    assert relative_error(ntk.gram(wrapped, packed), 4 * ntk.gram(masked.net, x1 * mask)) < 1e-5
    assert ntk.gram(wrapped, packed, parameters="inner.net.fc2").shape == (7, 7)
    assert torch.equal(ntk.kernel(None, [[1.0, 2.0], [3.0, 4.0]], kind="input"), torch.tensor([[5.0, 11.0], [11.0, 25.0]]))


@pytest.mark.parametrize("where", ["x1", "x2"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_inputs_are_refused_naming_the_argument_and_the_sample(data, where, bad):
    torch.manual_seed(0)
    model = SmallCNN()
    inputs = {"x1": data[0].clone(), "x2": data[1].clone()}
    inputs[where][2, 0, 1, 1] = bad
    with pytest.raises(ValueError, match=rf"^{where} has non-finite entries \(NaN or Inf\), first in sample 2"):
        ntk.gram(model, inputs["x1"], inputs["x2"])
    with pytest.raises(ValueError, match=rf"^{where} has non-finite entries"):
        ntk.paired(model, inputs["x1"][:4], inputs["x2"])


def test_a_cuda_device_on_a_machine_without_one_is_refused_in_one_line(data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"^device='cuda': this machine has no CUDA GPU .*device='cpu'"):
        ntk.gram(SmallCNN(), data[0], device="cuda")
    with pytest.raises(ValueError, match=r"^device='tpu': not a torch device"):
        ntk.gram(SmallCNN(), data[0], device="tpu")


def in_bytes(text):
    number, unit = text.split()
    return float(number) * {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit]


def test_a_budget_too_small_for_one_tile_says_what_one_tile_needs_and_names_memory_bytes():
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
    with pytest.raises(ResourceError, match="more than the memory budget") as e:
        ntk.gram(model, torch.randn(10, 1, 8, 8), memory_bytes=1000, implementation="torch.func")
    found = re.search(r"needs ([\d.]+ \w+), more than the memory budget of ([\d.]+ \w+) \(memory_bytes=\)",
                      str(e.value))
    assert found and in_bytes(found.group(1)) > in_bytes(found.group(2)) == 1000
    assert "kernel.memory_gb" not in str(e.value)


def test_a_kernel_larger_than_the_memory_is_refused_before_any_work_pointing_at_write_gram(data, monkeypatch):
    from ntkrepro import memory
    from ntkrepro.ntk.engine import GramComputation

    monkeypatch.setattr(memory, "available_bytes", lambda device: 1 << 16)
    monkeypatch.setattr(GramComputation, "features", lambda *args: pytest.fail("features computed"))
    with pytest.raises(ResourceError, match=r"^the 200x200 kernel needs about 156.2 KiB but only 64.0 KiB is "
                                            r"available on cpu; ntkrepro.ntk.write_gram\(model, x, path\) streams"):
        ntk.gram(SmallCNN(), torch.randn(200, 3, 8, 8), memory_bytes=1 << 20)
    with pytest.raises(ResourceError, match=r"^the 200x200 kernel of each of 2 parameter groups needs about 312.5 KiB"):
        ntk.gram_by_layer(SmallCNN(), torch.randn(200, 3, 8, 8), layers=["fc1", "fc2"], memory_bytes=1 << 20)


def test_the_workflow_names_the_config_keys_behind_library_arguments():
    from ntkrepro.workflow import config_keys

    with pytest.raises(ResourceError, match=r"^the smallest tile .*memory_bytes= .*; memory_bytes= is set by the "
                                            r"config key kernel\.memory_gb$"):
        with config_keys(memory_bytes="kernel.memory_gb", device="compute.device"):
            ntk.gram(SmallCNN(), torch.randn(4, 3, 8, 8), memory_bytes=100)


@pytest.mark.parametrize("show", [True, False])
def test_progress_true_shows_a_bar_of_the_tiles_and_false_none(data, capsys, monkeypatch, show):
    from ntkrepro import progress

    monkeypatch.setattr(progress, "AUTO_DELAY", 0.0)  # no quick-call delay hides a bar that progress=False shows
    x = torch.cat([data[0]] * 3)  # 21 samples: 3 x 3 tiles of 8, 6 of them above the diagonal
    ntk.gram(SmallCNN(), x, block_size=8, progress=show)
    err = capsys.readouterr().err
    assert ("100%" in err and "6/6 tiles" in err) is show
    if not show:
        assert err == ""


def test_progress_by_default_shows_a_bar_only_in_a_terminal_or_notebook_and_for_slow_calls(data, capsys, monkeypatch):
    from ntkrepro import progress

    monkeypatch.setattr(progress, "AUTO_DELAY", 0.0)  # every call counts as slow
    ntk.gram(SmallCNN(), data[0])
    assert capsys.readouterr().err == ""  # pytest's stderr is no terminal: the workflow's logs look the same
    monkeypatch.setattr(progress, "interactive", lambda: True)
    ntk.gram(SmallCNN(), data[0])
    assert "100%" in capsys.readouterr().err
    monkeypatch.setattr(progress, "AUTO_DELAY", 60.0)
    ntk.gram(SmallCNN(), data[0])
    assert capsys.readouterr().err == ""
