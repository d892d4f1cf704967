import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from conftest import BatchNormNet, randomize_batchnorm, reference_gram

from ntkrepro import training
from ntkrepro.linearize import Linearized
from ntkrepro.models import build_model, initialize, load_model, save_model


def lenet():
    return initialize(build_model("lenet", (1, 8, 8)), "lecun-normal", 0)


def test_equals_the_network_at_the_center_and_its_gradient_is_the_jacobian(rng):
    net = randomize_batchnorm(BatchNormNet(), rng).double().eval()
    lin = Linearized(net).double()
    x = torch.randn(5, 3, 8, 8, generator=rng, dtype=torch.float64)
    assert torch.allclose(lin(x), net(x), rtol=1e-12)
    for i in range(len(x)):
        g_lin = torch.autograd.grad(lin(x[i : i + 1]).sum(), list(lin.theta))
        g_net = torch.autograd.grad(net(x[i : i + 1]).sum(), list(net.parameters()))
        assert all(torch.allclose(a, b, rtol=1e-10, atol=1e-12) for a, b in zip(g_lin, g_net))


def test_is_affine_in_theta_and_the_unbiased_form_drops_the_offset(rng):
    net = lenet().double()
    x = torch.randn(4, 1, 8, 8, generator=rng, dtype=torch.float64)
    lin, unbiased = Linearized(net).double(), Linearized(net, offset=False).double()
    directions = [torch.randn(p.shape, generator=rng, dtype=torch.float64) for p in lin.theta]
    with torch.no_grad():
        for t, d in zip(lin.theta, directions):
            t.add_(d)
        for t, d in zip(unbiased.theta, directions):
            t.add_(d)
        once = lin(x) - net(x)
        for t, d in zip(lin.theta, directions):
            t.add_(d)
        twice = lin(x) - net(x)
    assert torch.allclose(twice, 2 * once, rtol=1e-10)  # linear in θ - θc
    with torch.no_grad():
        assert torch.allclose(unbiased(x), once, rtol=1e-10)  # no f(x; θc) term
    # ... and it differs from the network once θ moves (the network is not linear)
    with torch.no_grad():
        for p, d in zip(net.parameters(), directions):
            p.add_(2 * d)
        assert not torch.allclose(net(x) - twice, lin(x) - twice)


def test_training_matches_kernel_gradient_descent(rng, tmp_path):
    """Full-batch GD on the linearized model is kernel GD with its NTK at θ0: f ← f − lr Θ ∇_f L."""
    model = lenet().double()
    x = torch.randn(24, 1, 8, 8, generator=rng, dtype=torch.float64)
    xt = torch.randn(6, 1, 8, 8, generator=rng, dtype=torch.float64)
    y = torch.where(x[:, 0, 0, 0] > 0, 1.0, -1.0).double()
    lin = Linearized(model).double()
    lr, steps = 0.5, 6
    recipe = training.Recipe(epochs=steps, batch_size=len(x), lr=lr, momentum=0.0, schedule="constant", checkpoints=[])
    with torch.no_grad():
        f_train, f_test = model(x), model(xt)
    training.train(lin, save_model, x, y, xt, torch.ones(6), recipe, checkpoint_paths={}, resume_dir=tmp_path / "r")
    K = reference_gram(model, torch.cat([x, xt]), x)
    for _ in range(steps):
        dloss = -y * torch.sigmoid(-y * f_train) / len(x)  # ∂/∂f of mean softplus(-y f)
        update = K @ dloss
        f_train, f_test = f_train - lr * update[: len(x)], f_test - lr * update[len(x) :]
    with torch.no_grad():
        assert torch.allclose(lin(x), f_train, rtol=1e-8, atol=1e-10)
        assert torch.allclose(lin(xt), f_test, rtol=1e-8, atol=1e-10)


def test_checkpoint_of_a_linearized_model_loads_as_the_network_at_theta(tmp_path, rng):
    lin = Linearized(lenet())
    with torch.no_grad():
        lin.theta[0].add_(1.0)
    save_model(lin, tmp_path / "lin.pt", epoch=3)
    net, extra = load_model(tmp_path / "lin.pt")
    assert extra == {"epoch": 3}
    assert torch.equal(next(net.parameters()), lin.theta[0].detach())


def test_batchnorm_stays_in_eval_mode(rng):
    net = randomize_batchnorm(BatchNormNet(), rng)
    lin = Linearized(net).train()
    before = net.bn.running_mean.clone()
    x = torch.randn(8, 3, 8, 8, generator=rng)
    out = lin(x)
    assert not lin.net.training
    assert torch.equal(lin.net.bn.running_mean, before)
    assert torch.allclose(out[:1], lin(x[:1]), rtol=1e-5)  # samples independent: eval-mode BN


def test_softplus_gradient_formula():
    f = torch.randn(5, requires_grad=True, dtype=torch.float64)
    y = torch.tensor([1.0, -1, 1, -1, 1], dtype=torch.float64)
    (g,) = torch.autograd.grad(F.softplus(-y * f).mean(), f)
    assert torch.allclose(g, -y * torch.sigmoid(-y * f) / 5)


@pytest.mark.parametrize("offset", [True, False])
def test_gradients_flow_to_every_parameter(offset, rng):
    lin = Linearized(lenet(), offset=offset)
    lin(torch.randn(3, 1, 8, 8, generator=rng)).sum().backward()
    assert all(t.grad is not None and torch.isfinite(t.grad).all() for t in lin.theta)


@pytest.mark.parametrize("stats", ["init", "checkpoint", "train"])
def test_batchnorm_statistics_a_linearization_runs_on(stats, rng):
    from ntkrepro.linearize import with_batchnorm_statistics

    net = randomize_batchnorm(BatchNormNet(), rng)
    trained = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.randn(64, 3, 8, 8, generator=rng)
    inputs = []
    handle = net.bn.register_forward_hook(lambda m, i, o: inputs.append(i[0].detach()))
    net.eval()(x)
    handle.remove()
    center = with_batchnorm_statistics(net, stats, x)
    expected = {"init": torch.zeros(6), "checkpoint": trained["bn.running_mean"],
                "train": inputs[0].mean(dim=(0, 2, 3))}[stats]
    assert torch.allclose(center.bn.running_mean, expected, atol=1e-5)
    assert all(torch.equal(center.state_dict()[k], trained[k]) for k in ("bn.weight", "conv.weight"))


def _moved(lin: Linearized, rng, scale: float = 0.1) -> Linearized:
    with torch.no_grad():
        for t in lin.theta:
            t.add_(scale * torch.randn(t.shape, generator=rng, dtype=t.dtype))
    return lin


@pytest.mark.parametrize("offset", [True, False])
def test_a_materialized_jacobian_gives_the_same_outputs_and_gradients(offset, rng):
    net = randomize_batchnorm(BatchNormNet(), rng).double().eval()
    x = torch.randn(12, 3, 8, 8, generator=rng, dtype=torch.float64)
    streamed = _moved(Linearized(net, offset=offset).double(), torch.Generator().manual_seed(1))
    materialized = _moved(Linearized(net, offset=offset).double(), torch.Generator().manual_seed(1))
    assert materialized.materialize(x[:8], x[8:], max_bytes=2**30)
    batch = x[[9, 2, 2, 5]]  # rows of both inputs, one twice
    out_s, out_m = streamed(batch), materialized(batch)
    assert materialized._materialized_rows(batch) is not None
    assert torch.allclose(out_m, out_s, rtol=1e-10, atol=1e-12)
    g_s = torch.autograd.grad(out_s.pow(2).sum(), list(streamed.theta))
    g_m = torch.autograd.grad(out_m.pow(2).sum(), list(materialized.theta))
    assert all(torch.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(g_m, g_s))


def test_a_batch_with_an_unlisted_sample_takes_the_jvp_path(rng):
    net = lenet().double()
    streamed = _moved(Linearized(net).double(), torch.Generator().manual_seed(0))
    materialized = _moved(Linearized(net).double(), torch.Generator().manual_seed(0))
    x = torch.randn(6, 1, 8, 8, generator=rng, dtype=torch.float64)
    assert materialized.materialize(x[:4], max_bytes=2**30)
    batch = torch.cat([x[:2], x[4:]])
    assert materialized._materialized_rows(batch) is None
    with torch.no_grad():
        assert torch.allclose(materialized(batch), streamed(batch), rtol=1e-10)


def test_a_jacobian_over_the_budget_is_not_materialized(rng):
    lin = Linearized(lenet())
    x = torch.randn(10, 1, 8, 8, generator=rng)
    n_params = sum(t.numel() for t in lin.theta)
    assert not lin.materialize(x, max_bytes=10 * n_params * 4 - 1)
    assert lin._materialized_rows(x) is None
    assert lin.materialize(x, max_bytes=10 * n_params * 4)


def test_training_with_a_materialized_jacobian_matches_the_jvp_path(rng, tmp_path):
    model = lenet()
    x = torch.randn(40, 1, 8, 8, generator=rng)
    xt = torch.randn(10, 1, 8, 8, generator=rng)
    y = torch.where(x[:, 0, 0, 0] > 0, 1.0, -1.0)
    yt = torch.where(xt[:, 0, 0, 0] > 0, 1.0, -1.0)
    recipe = training.Recipe(epochs=3, batch_size=8, lr=0.1, momentum=0.9, schedule="linear", checkpoints=[])
    results = []
    for materialize in (False, True):
        lin = Linearized(model)
        if materialize:
            assert lin.materialize(x, xt, max_bytes=2**30)
        r = training.train(lin, save_model, x, y, xt, yt, recipe, checkpoint_paths={}, resume_dir=tmp_path / str(materialize))
        results.append((r.history, torch.cat([t.detach().reshape(-1) for t in lin.theta])))
    (h_jvp, theta_jvp), (h_mat, theta_mat) = results
    assert torch.allclose(theta_mat, theta_jvp, rtol=1e-4, atol=1e-6)
    for a, b in zip(h_mat, h_jvp):
        assert a["test_accuracy"] == b["test_accuracy"]
        assert abs(a["train_loss"] - b["train_loss"]) < 1e-5


def test_flops_per_jacobian_entry_separate_dense_from_convolutional_networks(rng):
    mlp = Linearized(initialize(build_model("mlp", (1, 8, 8), {"widths": [16]}), "lecun-normal", 0))
    weights = sum(p.numel() for n, p in mlp.net.named_parameters() if n.endswith("weight"))
    x = torch.randn(3, 1, 8, 8, generator=rng)
    assert mlp.flops_per_jacobian_entry(x) == pytest.approx(2 * weights / sum(t.numel() for t in mlp.theta))
    conv = Linearized(randomize_batchnorm(BatchNormNet(), rng))
    assert conv.flops_per_jacobian_entry(torch.randn(3, 3, 8, 8, generator=rng)) > 2.5


def test_the_jacobian_is_materialized_only_when_it_pays_and_fits(rng):
    from ntkrepro.linearize import materialize_if_faster

    x = torch.randn(10, 1, 8, 8, generator=rng)
    flops = Linearized(lenet()).flops_per_jacobian_entry(x)
    gigabytes = 10 * sum(p.numel() for p in lenet().parameters()) * 4 / 2**30
    for min_flops, max_gb, expected in [(flops * 1.01, 1.0, False), (flops * 0.99, 1.0, True),
                                        (flops * 0.99, gigabytes * 0.99, False), (flops * 0.99, gigabytes, True)]:
        lin = Linearized(lenet())
        line = materialize_if_faster(lin, x, max_gb=max_gb, min_flops_per_entry=min_flops)
        assert (lin._materialized_rows(x) is not None) == expected, line
        assert ("materialized" in line) == expected


def test_the_linearized_path_emits_no_future_warning():
    # A fresh interpreter: torch warns once per process, when forward-mode AD is first used.
    script = """
import torch
from ntkrepro.linearize import Linearized
from ntkrepro.models import build_model
lin = Linearized(build_model("lenet", (1, 8, 8)))
x = torch.randn(4, 1, 8, 8)
lin(x).sum().backward()
lin.materialize(x, max_bytes=2**30)
lin(x).sum().backward()
"""
    done = subprocess.run([sys.executable, "-W", "error::FutureWarning", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _plain_gather(lin, x, rows):
    """The outputs of ``lin`` on x[rows] and their squares' gradient, from J[rows] @ δ by plain indexing."""
    flat = torch.cat([(t - c).reshape(-1) for t, c in zip(lin.theta, lin.center)]).detach().requires_grad_(True)
    out = lin._outputs[rows] + (lin._jacobian[rows] @ flat).reshape(len(rows))
    (grad,) = torch.autograd.grad(out.pow(2).sum(), [flat])
    return out.detach(), grad


def test_the_materialized_path_gives_the_bits_of_a_plain_gather(rng):
    lin = _moved(Linearized(lenet()), torch.Generator().manual_seed(2))
    x = torch.randn(12, 1, 8, 8, generator=rng)
    assert lin.materialize(x, max_bytes=2**30)
    # shuffled (gathered rows), consecutive (a view of the Jacobian), another size
    for rows in ([7, 1, 4, 10], [3, 0, 9, 5], [4, 5, 6, 7], [11, 2]):
        out = lin(x[rows])
        grads = torch.autograd.grad(out.pow(2).sum(), list(lin.theta))
        expected_out, expected_grad = _plain_gather(lin, x, rows)
        assert torch.equal(out.detach(), expected_out)
        assert torch.equal(torch.cat([g.reshape(-1) for g in grads]), expected_grad)
