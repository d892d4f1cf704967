import math

import pytest
import torch
from torch import nn

from ntkrepro.errors import ConfigError
from ntkrepro.models import build_model, initialize, load_model, save_model


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts_match_the_authors_networks():
    assert n_params(build_model("lenet", (3, 32, 32))) == 136_121  # the notes' count for CIFAR-10
    assert n_params(build_model("mlp", (3, 32, 32))) == 3072 * 100 + 100 + 100 * 100 + 100 + 101
    resnet = build_model("resnet18", (3, 32, 32))
    assert n_params(resnet) == 11_169_345  # the notes' count for ResNet18-CIFAR with one logit


@pytest.mark.parametrize("arch", ["mlp", "lenet", "resnet18", "ntk-mlp", "ntk-cnn"])
@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 28, 28)])
def test_scalar_output_for_every_input_shape(arch, shape):
    model = build_model(arch, shape, {"width": 4} if arch in ("resnet18", "ntk-cnn") else {})
    assert model(torch.randn(5, *shape)).shape == (5,)


def test_lecun_normal_is_truncated_with_variance_one_over_fan_in():
    model = initialize(build_model("mlp", (1, 64, 64), {"widths": [512]}), "lecun-normal", 0)
    w, b = model.net[1].weight.detach(), model.net[1].bias.detach()
    sigma = math.sqrt(1 / 4096)
    assert abs(float(w.std()) / sigma - 1) < 0.01
    bound = 2 * sigma / 0.87962566103423978
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound
    assert torch.all(b == 0)


def test_initialization_is_seeded():
    a = initialize(build_model("lenet", (1, 28, 28)), "lecun-normal", 7)
    b = initialize(build_model("lenet", (1, 28, 28)), "lecun-normal", 7)
    c = initialize(build_model("lenet", (1, 28, 28)), "lecun-normal", 8)
    p = initialize(build_model("lenet", (1, 28, 28)), "pytorch", 7)
    q = initialize(build_model("lenet", (1, 28, 28)), "pytorch", 7)
    flat = lambda m: torch.cat([t.flatten() for t in m.state_dict().values()])  # noqa: E731
    assert torch.equal(flat(a), flat(b)) and not torch.equal(flat(a), flat(c))
    assert torch.equal(flat(p), flat(q)) and not torch.equal(flat(p), flat(a))
    assert torch.any(p.classifier[0].bias != 0)  # PyTorch's default has non-zero biases


def test_resnet_zero_init_residual_scales():
    model = initialize(build_model("resnet18", (3, 8, 8), {"width": 4}), "lecun-normal", 0)
    assert all(torch.all(b.bn2.weight == 0) for b in model.blocks)
    assert torch.all(model.blocks[0].bn1.weight == 1)


def test_gelu_is_the_tanh_approximation():
    model = build_model("lenet", (1, 8, 8), {"activation": "gelu"})
    acts = [m for m in model.modules() if isinstance(m, nn.GELU)]
    assert acts and all(a.approximate == "tanh" for a in acts)


def test_save_and_rebuild(tmp_path):
    model = initialize(build_model("resnet18", (1, 12, 12), {"width": 2, "activation": "gelu"}), "pytorch", 3)
    save_model(model, tmp_path / "m.pt", seed=3)
    back, extra = load_model(tmp_path / "m.pt")
    assert extra == {"seed": 3} and back.spec == model.spec
    x = torch.randn(2, 1, 12, 12)
    assert torch.equal(back.eval()(x), model.eval()(x))


def test_unknown_names_are_config_errors():
    with pytest.raises(ConfigError, match="architecture"):
        build_model("no-such-arch", (3, 32, 32))
    with pytest.raises(ConfigError, match="activation"):
        build_model("lenet", (3, 32, 32), {"activation": "swish"})
    with pytest.raises(ConfigError, match="init.scheme"):
        initialize(build_model("lenet", (3, 32, 32)), "xavier", 0)
    with pytest.raises(ConfigError, match="at least 4x4"):
        build_model("lenet", (1, 3, 3))


@pytest.mark.parametrize("zero_init", [True, False])
def test_share_of_resnet18_parameters_the_linearization_at_theta0_can_move(zero_init):
    """With the blocks' last BatchNorm scale at 0 (the authors' ResNet) no parameter inside a residual
    branch has a gradient at θ0 — at width 2 under a tenth of them; at 1, nearly all of them (a few
    channels a ReLU shuts on every sample)."""
    model = initialize(build_model("resnet18", (1, 12, 12), {"width": 2, "zero_init_residual": zero_init}),
                       "lecun-normal", 0)
    model(torch.randn(16, 1, 12, 12, generator=torch.Generator().manual_seed(0))).pow(2).sum().backward()
    moving = sum(int((p.grad != 0).sum()) for p in model.parameters())
    share = moving / sum(p.numel() for p in model.parameters())
    assert (share < 0.1) if zero_init else share > 0.95


def test_ntk_parameterized_networks_scale_standard_normal_weights_in_the_forward_pass():
    model = initialize(build_model("ntk-mlp", (1, 16, 16), {"width": 2048, "bias_std": 0.5}), "standard-normal", 0)
    first = model.net[1]
    w = first.linear.weight.detach()
    assert abs(float(w.std()) - 1) < 0.01 and abs(float(w.mean())) < 0.01
    assert first.scale == pytest.approx(math.sqrt(2 / 256)) and first.bias_std == 0.5
    x = torch.randn(256, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    # pre-activations of variance W_std² |x|²/d + b_std² = 2 + 0.25, whatever the width
    with torch.no_grad():
        assert float(first(model.net[0](x)).var()) == pytest.approx(2.25, rel=0.05)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        built = build_model("ntk-cnn", (1, 8, 8), {"width": 512}).net[0].conv.weight.detach()  # N(0, 1) when built
    assert abs(float(built.std()) - 1) < 0.05 and abs(float(built.mean())) < 0.05  # 4,608 draws: 5 standard errors
    assert build_model("ntk-cnn", (1, 8, 8), {"bias_std": 0.0}).net[0].shift is None  # no gradient-free biases
    with pytest.raises(ConfigError, match="init.scheme 'lecun-normal' does not fit NTKMLP.*use 'standard-normal'"):
        initialize(build_model("ntk-mlp", (1, 8, 8)), "lecun-normal", 0)
    with pytest.raises(ConfigError, match="filter_size must be odd"):
        build_model("ntk-cnn", (1, 8, 8), {"filter_size": 4})
