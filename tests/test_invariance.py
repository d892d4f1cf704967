"""Feature invariances (ntkrepro.invariance): the paired kernel values of x and its transforms equal
ntk.paired's bit for bit and the cosines of explicit Jacobian features; Long's "Sum" unit-test network
(a function of the sum of the pixels) is invariant to every transform that keeps the sum."""

import numpy as np
import pytest
import torch
from conftest import jacobian
from torch import nn

from ntkrepro import ntk
from ntkrepro.invariance import feature_invariance, paired_with_transforms
from ntkrepro.models import build_model, initialize
from ntkrepro.transforms import TRANSFORMS


@pytest.fixture(scope="module")
def vgg():
    return initialize(build_model("vgg", (1, 8, 8), {"channels": 2}), "keras", 0)


@pytest.mark.parametrize("kind", ["ntk", "conjugate"])
def test_paired_with_transforms_is_ntk_paired(vgg, kind):
    x = torch.rand(5, 1, 8, 8)
    others = [TRANSFORMS["shift"](x)[0], TRANSFORMS["swap"](x)[0]]
    k_xx, pairs = paired_with_transforms(vgg, x, others, kind=kind)
    assert torch.equal(k_xx, ntk.paired(vgg, x, x, kind=kind))
    for t, (k_xt, k_tt) in zip(others, pairs):
        assert torch.equal(k_xt, ntk.paired(vgg, x, t, kind=kind))
        assert torch.equal(k_tt, ntk.paired(vgg, t, t, kind=kind))


def test_invariance_is_the_mean_cosine_of_jacobian_features(vgg):
    x = torch.rand(4, 1, 8, 8)
    got = feature_invariance(vgg, x, dtype=torch.float64)
    phi = jacobian(vgg, x)[:, 0]
    for family, transforms in TRANSFORMS.items():
        cosines = []
        for tx in transforms(x):
            psi = jacobian(vgg, tx)[:, 0]
            cosines.append(torch.nn.functional.cosine_similarity(phi, psi, dim=1).mean())
        assert got[family] == pytest.approx(float(np.mean(cosines)), rel=1e-9), family


class Sum(nn.Module):
    """Long's unit-test network: the sum of the pixels through a ReLU layer of width 16, one output."""

    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Linear(1, 16), nn.Linear(16, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x.sum(dim=(1, 2, 3)).unsqueeze(1)))).squeeze(1)


def test_the_sum_network_is_invariant_to_transforms_that_keep_the_sum():
    torch.manual_seed(0)
    model = Sum()
    with torch.no_grad():
        model.hidden.bias.fill_(1.0)  # every unit active: features depend on the sum alone
    x = torch.zeros(6, 1, 8, 8)
    x[:, :, 2:6, 2:6] = torch.rand(6, 1, 4, 4)  # a blank border: one-pixel shifts keep every pixel
    values = feature_invariance(model, x, families=("shift", "swap"), dtype=torch.float64)
    assert values["shift"] == pytest.approx(1.0, abs=1e-12) and values["swap"] == pytest.approx(1.0, abs=1e-12)
    other = feature_invariance(initialize(build_model("mlp", (1, 8, 8), {"widths": [16]}), "keras", 0), x,
                               families=("swap",), dtype=torch.float64)
    assert other["swap"] < 0.999  # a network that is not a function of the sum is not
