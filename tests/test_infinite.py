import logging
import math

import numpy as np
import pytest
import torch
from torch import nn

from ntkrepro import infinite, ntk
from ntkrepro.errors import IntegrityError, ResourceError, UnsupportedNetwork
from ntkrepro.infinite import Conv, Dense, Erf, Flatten, GlobalAvgPool, Relu, serial
from ntkrepro.models import build_model, initialize
from ntkrepro.models.ntk_parameterized import NTKLinear


def data(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_one_hidden_layer_relu_kernels_are_the_arc_cosine_formulas():
    x = data(5, 4)
    w0, b0, w1, b1 = 1.5, 0.3, 1.2, 0.1
    nngp, ntk_inf = serial(Dense(W_std=w0, b_std=b0), Relu(), Dense(W_std=w1, b_std=b1))(x, get=("nngp", "ntk"))
    # hidden pre-activations: Σ1 = w0² x·x′/d + b0²; E[relu(u) relu(v)] and E[relu′(u) relu′(v)]
    s1 = w0**2 * (x @ x.T) / 4 + b0**2
    norm = torch.sqrt(torch.outer(s1.diagonal(), s1.diagonal()))
    theta = torch.arccos((s1 / norm).clamp(-1, 1))
    e_relu = norm * (torch.sin(theta) + (math.pi - theta) * torch.cos(theta)) / (2 * math.pi)
    e_step = (math.pi - theta) / (2 * math.pi)
    want_nngp = w1**2 * e_relu + b1**2
    want_ntk = want_nngp + w1**2 * e_step * s1  # readout's part, then the hidden layer's (its Θ is Σ1)
    torch.testing.assert_close(nngp, want_nngp, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ntk_inf, want_ntk, rtol=1e-12, atol=1e-12)
    assert nngp.dtype == torch.float64 and nngp.device.type == "cpu"


def test_one_hidden_layer_erf_kernels_are_the_arcsine_formulas():
    x = data(5, 3)
    a, b, c, w1 = 0.7, 1.3, 0.2, 0.9
    nngp, ntk_inf = serial(Dense(W_std=1.1), Erf(a, b, c), Dense(W_std=w1))(x, get=("nngp", "ntk"))
    s1 = 1.1**2 * (x @ x.T) / 3
    q = 1 + 2 * b**2 * s1.diagonal()
    e_erf = 2 * a**2 / math.pi * torch.arcsin(2 * b**2 * s1 / torch.sqrt(torch.outer(q, q))) + c**2
    e_derivative = 4 * a**2 * b**2 / math.pi / torch.sqrt(torch.outer(q, q) - 4 * b**4 * s1**2)
    torch.testing.assert_close(nngp, w1**2 * e_erf, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ntk_inf, w1**2 * e_erf + w1**2 * e_derivative * s1, rtol=1e-12, atol=1e-12)


# neural-tangents 0.6.5's stax.serial of the same layers (jax_enable_x64; images as NHWC), kernel_fn(x1, x2,
# ('nngp', 'ntk')) on the inputs of test_kernels_are_neural_tangents_values, run in benchmarks/.venv-nt
NT_CNN_NNGP = [[0.29016728371516054, 0.11252205123387056, 0.1526080002012254],
               [0.11252205123387056, 0.2906620126083042, 0.1126288508296238],
               [0.1526080002012254, 0.1126288508296238, 0.2896140354119118]]
NT_CNN_NTK = [[0.7083281964072571, 0.10205510771937251, 0.21183062456638158],
              [0.10205510771937251, 0.7099683506716259, 0.10236632416355794],
              [0.21183062456638158, 0.10236632416355794, 0.7064949794906503]]
NT_MLP_NNGP = [[0.1984242942067574, 0.032513860865654304], [0.032513860865654304, 0.19765307167981827],
               [0.19012479014334704, 0.03258454140225043], [0.0347533791247458, 0.1891836009193057]]
NT_MLP_NTK = [[0.6533048073286483, 0.014390424857674604], [0.014390424857674604, 0.6489677675541035],
              [0.590159010561494, 0.014502182482245874], [0.016304233477449605, 0.5851406628289875]]


def test_kernels_are_neural_tangents_values():
    images = np.cos(np.arange(3 * 2 * 4 * 5, dtype=np.float64)).reshape(3, 2, 4, 5)
    cnn = serial(Conv(3, W_std=1.3, b_std=0.2), Relu(), Conv(3, W_std=1.1, b_std=0.1), Erf(), Flatten(),
                 Dense(W_std=0.9, b_std=0.3))
    vectors = np.sin(np.arange(4 * 3, dtype=np.float64)).reshape(4, 3)
    mlp = serial(Dense(W_std=1.5, b_std=0.3), Relu(), Dense(W_std=1.2, b_std=0.1), Erf(a=0.7, b=1.3, c=0.2),
                 Dense(W_std=0.8, b_std=0.05))
    for got, want in ((cnn(images, get=("nngp", "ntk")), (NT_CNN_NNGP, NT_CNN_NTK)),
                      (mlp(vectors, vectors[:2], get=("nngp", "ntk")), (NT_MLP_NNGP, NT_MLP_NTK))):
        for k, ref in zip(got, want):
            # 1e-8: neural-tangents' own rounding of a sample's correlation with itself, through arccos
            torch.testing.assert_close(k, torch.tensor(ref, dtype=torch.float64), rtol=1e-8, atol=0)


MLP = serial(Dense(W_std=1.4, b_std=0.1), Relu(), Dense(W_std=1.4, b_std=0.1), Erf(), Dense(W_std=1.0, b_std=0.2))
CNN = serial(Conv(3, W_std=1.4, b_std=0.1), Relu(), Conv(5, W_std=1.4), Relu(), Flatten(), Dense(W_std=1.0, b_std=0.2))
CASES = [(MLP, (9, 6)), (CNN, (9, 2, 5, 4))]


@pytest.mark.parametrize("network, shape", CASES)
def test_kernels_are_symmetric_and_positive_semidefinite(network, shape):
    for k in network(data(*shape), get=("nngp", "ntk")):
        assert torch.equal(k, k.T)
        assert torch.linalg.eigvalsh(k).min() > -1e-12 * k.diagonal().max()


@pytest.mark.parametrize("network, shape", CASES)
def test_x2_none_and_tiny_tiles_give_the_same_kernel(network, shape):
    x = data(*shape)
    whole = network(x)
    assert torch.equal(network(x, x.clone()), whole)
    pixels = math.prod(shape[2:])
    tiny = 10 * 8 * pixels * 4  # PAIR_TENSORS float64 pair tensors of 2 x 2 samples: 5 x 5 tiles
    torch.testing.assert_close(network(x, memory_bytes=tiny), whole, rtol=1e-13, atol=1e-13)
    # pairs of a sample with itself in x1 x x2 (not known to be the same samples): arccos near
    # correlation 1 turns rounding of 1e-16 into angles of 1e-8
    torch.testing.assert_close(network(x, x[:4], block_size=2), whole[:, :4], rtol=1e-7, atol=1e-13)
    with pytest.raises(ResourceError, match="memory_bytes"):
        network(x, memory_bytes=8)


def test_calls_of_several_tiles_log_their_progress(caplog):
    with caplog.at_level(logging.INFO, logger="ntkrepro.infinite.network"):
        MLP(data(6, 3), block_size=2)
    assert "infinite kernel tiles: 6/6 (100%)" in caplog.text


def test_numpy_inputs_and_the_order_of_get():
    x = data(4, 3).numpy().astype(np.float32)
    nngp, ntk_inf = MLP(x, get=("nngp", "ntk"))
    ntk_first, nngp_second = MLP(x, get=("ntk", "nngp"))
    assert torch.equal(MLP(x, get="nngp"), nngp) and torch.equal(nngp_second, nngp) and torch.equal(ntk_first, ntk_inf)
    assert not torch.allclose(nngp, ntk_inf)


def monte_carlo_check(networks, x, infinite_ntk, seeds):
    """The mean empirical NTK over ``seeds`` draws is within 5 Monte-Carlo standard errors of the
    infinite one, entry by entry, and those errors are small enough for a wrong kernel to show."""
    grams = torch.stack([ntk.gram(networks(seed), x, dtype=torch.float64, implementation="layerwise")
                         for seed in range(seeds)])
    mean, standard_error = grams.mean(0), grams.std(0) / seeds**0.5
    scale = infinite_ntk.abs().max()
    assert standard_error.max() < 0.04 * scale
    assert torch.all((mean - infinite_ntk).abs() <= 5 * standard_error + 1e-3 * scale)


@pytest.mark.parametrize("arch, shape, options", [
    ("ntk-mlp", (6,), {"width": 512, "bias_std": 0.2}),
    ("ntk-cnn", (2, 4, 4), {"width": 64, "depth": 1, "bias_std": 0.2}),
])
def test_mean_empirical_ntk_of_wide_registry_networks_is_the_infinite_ntk(arch, shape, options):
    x = data(6, *shape)
    infinite_ntk = infinite.of_model(build_model(arch, shape, options))(x)
    monte_carlo_check(lambda seed: initialize(build_model(arch, shape, options), "standard-normal", seed),
                      x, infinite_ntk, seeds=20)


def test_mean_empirical_ntk_of_a_wide_erf_network_is_the_infinite_ntk():
    class ErfNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.readout = NTKLinear(5, 512, 1.5, 0.3), NTKLinear(512, 1, 1.0, 0.1)

        def forward(self, x):
            return self.readout(torch.erf(self.hidden(x))).squeeze(-1)

    x = data(6, 5)
    infinite_ntk = serial(Dense(W_std=1.5, b_std=0.3), Erf(), Dense(W_std=1.0, b_std=0.1))(x)
    monte_carlo_check(lambda seed: initialize(ErfNet(), "standard-normal", seed), x, infinite_ntk, seeds=20)


@pytest.mark.parametrize("network, x, message", [
    (MLP, data(3, 2, 2), r"x1 must be vectors \(n, d\) or images \(n, C, H, W\); got shape \(3, 2, 2\)"),
    (serial(Dense(), Relu()), data(3, 1, 4, 4), r"layer 1 \(Dense.*\) takes vectors but receives images; put Flatten"),
    (serial(Dense(), Conv(3), Flatten(), Dense()), data(3, 4),
     r"layer 2 \(Conv\(3.*\) takes images but receives vectors"),
    (serial(Conv(3), Relu()), data(3, 1, 4, 4), r"the network ends on images; end it with Flatten\(\)"),
])
def test_inputs_the_network_cannot_take_are_named(network, x, message):
    with pytest.raises(ValueError, match=message):
        network(x)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"x2's samples have shape \(5,\) but x1's have \(6,\)"):
        MLP(data(3, 6), data(2, 5))
    with pytest.raises(ValueError, match="get must be 'nngp', 'ntk' or a tuple of them; got 'cov'"):
        MLP(data(3, 6), get="cov")
    with pytest.raises(ValueError, match="Conv's filter_size must be an odd integer"):
        Conv(2)
    with pytest.raises(ValueError, match="Dense's b_std must be a finite number >= 0"):
        Dense(b_std=-1.0)
    with pytest.raises(ValueError, match="serial's argument 2 is not a layer"):
        serial(Dense(), torch.relu)
    with pytest.raises(UnsupportedNetwork, match=r"GlobalAvgPool needs the full \(H·W\)² spatial covariance"):
        serial(Conv(3), Relu(), GlobalAvgPool(), Dense())


def test_only_registry_networks_with_a_closed_form_have_a_counterpart():
    with pytest.raises(UnsupportedNetwork, match="activation 'gelu' has no closed-form"):
        infinite.of_model(build_model("ntk-mlp", (4,), {"activation": "gelu"}))
    with pytest.raises(UnsupportedNetwork, match="architecture 'lenet' has no infinite-width counterpart"):
        infinite.of_model(build_model("lenet", (1, 8, 8)))


def test_the_mlp_counterpart_takes_images_as_the_network_does():
    x = data(6, 1, 3, 3)
    limit = infinite.of_model(build_model("ntk-mlp", (1, 3, 3), {"depth": 1}))
    assert torch.allclose(limit(x), limit(x.reshape(6, 9)), rtol=1e-12, atol=0)


def test_a_written_infinite_kernel_reads_back_with_its_own_kind(tmp_path):
    x = data(7, 2, 3, 3)
    path = tmp_path / "k.h5"
    info = infinite.write_kernel(CNN, x, path, get="nngp", sample_ids=np.arange(10, 17), meta={"model": "toy"})
    back = ntk.read_gram(path, kernel="infinite-nngp")
    assert back.dtype == np.float64 and np.array_equal(back, CNN(x, get="nngp").numpy())
    meta = ntk.gram_meta(path)
    assert meta["kernel"] == info["kernel"] == "infinite-nngp" and meta["model"] == "toy" and meta["shape"] == [7, 7]
    assert meta["network"] == repr(CNN) and "Conv(5, W_std=1.4, b_std=0.0)" in meta["network"]
    with ntk.open_gram(path, kernel="infinite-nngp") as (ds, _):
        assert list(ds.file["sample_ids"][()]) == list(range(10, 17))
    with pytest.raises(IntegrityError, match="holds the infinite-nngp kernel"):
        ntk.read_gram(path)  # an empirical NTK is expected by default
    with pytest.raises(ValueError, match=r"sample_ids has shape \(3,\), not \(7,\)"):
        infinite.write_kernel(CNN, x, tmp_path / "bad.h5", sample_ids=[1, 2, 3])
    with pytest.raises(ValueError, match="one kernel per file"):
        infinite.write_kernel(CNN, x, tmp_path / "bad.h5", get=("nngp", "ntk"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.h5"]
