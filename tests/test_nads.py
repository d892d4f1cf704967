import numpy as np
import torch
from torch import nn

from ntkrepro import nads


def planted_network(d=12, k=5, seed=0):
    """f(x) = cᵀ W x: AᵀA = WᵀW + ‖c‖² I exactly, so the first NAD is W's top right singular vector."""
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(d, generator=g, dtype=torch.float64)
    u /= u.norm()
    w = 0.05 * torch.randn(k, d, generator=g, dtype=torch.float64)
    w[0] += 3.0 * u  # the planted direction
    net = nn.Sequential(nn.Flatten(), nn.Linear(d, k, bias=False), nn.Linear(k, 1, bias=False)).double()
    with torch.no_grad():
        net[1].weight.copy_(w)
        net[2].weight.copy_(torch.randn(1, k, generator=g, dtype=torch.float64))
    expected = (w.T @ w + net[2].weight.detach().norm() ** 2 * torch.eye(d, dtype=torch.float64)).numpy()
    return net, u.numpy(), expected


def test_recovers_a_planted_direction():
    net, u, expected = planted_network()
    gram = nads.mixed_derivative_gram(net, (1, 3, 4), samples=8, seed=0)
    assert np.allclose(gram, expected, rtol=1e-10)
    values, vectors = nads.directions(gram)
    assert abs(vectors[0] @ u) > 0.999
    assert np.allclose(values, np.sort(np.linalg.eigvalsh(expected))[::-1], rtol=1e-10)
    assert np.allclose(vectors @ vectors.T, np.eye(12), atol=1e-10)


def test_expectation_and_the_authors_single_point_agree_for_a_linear_network():
    net, _, _ = planted_network()
    at_zero = nads.mixed_derivative_gram(net, (1, 3, 4), samples=0, seed=0)
    averaged = nads.mixed_derivative_gram(net, (1, 3, 4), samples=16, seed=1)
    assert np.allclose(at_zero, averaged, rtol=1e-10)  # mixed derivatives do not depend on x here


def test_nonlinear_network_alignment_is_the_monte_carlo_mean():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.GELU(approximate="tanh"), nn.Flatten(), nn.Linear(48, 1))
    gram = nads.mixed_derivative_gram(net, (1, 4, 4), samples=32, seed=3)
    # α(g_u) = ‖A u‖² for a random unit u, with A formed explicitly from per-sample mixed derivatives
    from torch.func import functional_call, grad, jacrev

    params = {n: p.detach().double() for n, p in net.named_parameters()}
    x = torch.randn(32, 1, 4, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    model = net.double()

    def input_grad(p, xi):
        return grad(lambda z: functional_call(model, p, (z.unsqueeze(0),)).sum())(xi).reshape(-1)

    A = sum(torch.cat([j.reshape(16, -1) for j in jacrev(input_grad)(params, xi).values()], 1) for xi in x) / 32
    u = torch.randn(16, dtype=torch.float64)
    u /= u.norm()
    assert np.isclose(u.numpy() @ gram @ u.numpy(), float((A.T @ u).norm() ** 2), rtol=1e-10)


def test_linearly_separable_task():
    v = np.random.default_rng(0).standard_normal(64)
    task = nads.linearly_separable(v, (1, 8, 8), n_train=300, n_test=100, epsilon=1.0, sigma=1.0, seed=0)
    unit = v / np.linalg.norm(v)
    for x, y in [(task.x_train, task.y_train), (task.x_test, task.y_test)]:
        proj = x.reshape(len(x), -1).double().numpy() @ unit
        assert np.allclose(proj, 0.5 * y.numpy(), atol=1e-6)  # exactly ±ε/2 along v
        rest = x.reshape(len(x), -1).double().numpy() - np.outer(proj, unit)
        assert 0.9 < rest.std() < 1.1
    assert set(task.y_train.tolist()) == {-1, 1}
