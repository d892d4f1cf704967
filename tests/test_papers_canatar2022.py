"""Canatar & Pehlevan 2022: the residual CNN's shape and skip switch, the layer kernels of one pass
against the engine's per-module kernels, and the file that holds them."""

import numpy as np
import pytest
import torch

from ntkrepro import ntk
from ntkrepro.models import build_model, initialize
from ntkrepro.ntk import probes

LAYERS = ["conv2", "block1.conv3", "block1.conv4", "conv5", "block2.conv6", "block2.conv7", "conv8",
          "block3.conv9", "block3.conv10", "conv11"]


def toy_net(skip=True, widths=(2, 3, 4, 5, 6), shape=(1, 12, 12)):
    model = build_model("rescnn11", shape, {"conv_widths": list(widths), "skip": skip, "outputs": 10})
    initialize(model, "lecun-normal", 0)
    return model


# ---- network --------------------------------------------------------------------------------------


def test_rescnn11_has_11_convolutions_3_pools_and_a_skip_switch():
    model = toy_net()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 11 and [c.out_channels for c in convs] == [2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6]
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in model.modules()) == 3
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == 11
    x = torch.randn(4, 1, 12, 12)
    assert model(x).shape == (4, 10)
    plain = toy_net(skip=False)
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(plain.eval()(x), model.eval()(x))  # the skip switch changes the function


def test_probed_layers_feature_sizes_follow_widths_and_pooling():
    model, x = toy_net(), torch.randn(3, 1, 12, 12)
    sizes = probes.feature_sizes(model, x, LAYERS, pooling="max")
    assert list(sizes.values()) == [3, 3, 3, 4, 4, 4, 5, 5, 5, 6]  # N_ℓ: channels
    flat = probes.feature_sizes(model, x, LAYERS, pooling="none")
    assert flat["conv2"] == 3 * 12 * 12 and flat["conv5"] == 4 * 6 * 6 and flat["conv11"] == 6 * 1 * 1


def test_layer_kernels_of_one_pass_equal_the_engines_per_module_kernels(tmp_path):
    model, x = toy_net(), torch.randn(7, 1, 12, 12)
    kernels = probes.layer_kernels(model, x, LAYERS, pooling="none", batch_size=3)
    assert list(kernels) == ["input"] + [f"module:{n}" for n in LAYERS]
    path = tmp_path / "layers.h5"
    probes.write_layer_kernels(path, kernels, meta={"pooling": "none"}, arrays={"labels": np.arange(7)})
    assert probes.layer_kinds(path) == list(kernels)
    for kind in kernels:
        want = ntk.kernel(model, x, kind=kind).double().numpy()
        got = probes.read_layer_kernels(path, kind)
        assert got.dtype == np.float64 and np.allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max()), kind
    arrays, meta = probes.read_layer_arrays(path)
    assert meta == {"pooling": "none"} and list(arrays["labels"]) == list(range(7))
    with pytest.raises(KeyError, match="module:head"):
        probes.read_layer_kernels(path, "module:head")


def test_pooled_layer_kernels_are_the_gram_of_pooled_outputs():
    model, x = toy_net(), torch.randn(5, 1, 12, 12)
    seen = {}
    module = dict(model.named_modules())["block2.conv7"]
    handle = module.register_forward_hook(lambda m, i, o: seen.setdefault("o", o.detach()))
    model.eval()(x)
    handle.remove()
    for pooling, f in (("mean", seen["o"].mean(dim=(2, 3))), ("max", seen["o"].amax(dim=(2, 3)))):
        k = probes.layer_kernels(model, x, ["block2.conv7"], pooling=pooling)["module:block2.conv7"]
        f = f.double()
        assert np.allclose(k, (f @ f.T).numpy(), rtol=1e-6)


def test_bad_probes_are_refused_by_name():
    model, x = toy_net(), torch.randn(2, 1, 12, 12)
    with pytest.raises(ValueError, match="no module 'conv12'"):
        probes.layer_kernels(model, x, ["conv12"])
    with pytest.raises(ValueError, match="unknown pooling 'sum'"):
        probes.layer_kernels(model, x, ["conv2"], pooling="sum")
    with pytest.raises(ValueError, match="called 2 times"):
        probes.layer_kernels(Twice(), torch.randn(2, 4), ["lin"])


class Twice(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, z):
        return self.lin(self.lin(z))
