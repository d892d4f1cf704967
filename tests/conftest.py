import copy
import os

import pytest
import torch
from torch import nn
from torch.func import functional_call, jacrev, jvp, vjp, vmap


# The SLURM test installs (apt-get) and starts munged, slurmctld and slurmd as root: it runs only when
# asked for (.ci/run asks), and is otherwise deselected, with the reason in the report.
SLURM_OPT_IN = "NTKREPRO_SLURM_TEST"
_SLURM_DESELECTED = pytest.StashKey[int]()


def pytest_collection_modifyitems(config, items):
    if os.environ.get(SLURM_OPT_IN) == "1":
        return
    deselected = [item for item in items if item.get_closest_marker("slurm")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("slurm")]
        config.stash[_SLURM_DESELECTED] = len(deselected)


def pytest_terminal_summary(terminalreporter, config):
    count = config.stash.get(_SLURM_DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            f"{count} SLURM test(s) deselected: they install and start a local SLURM as root; "
            f"set {SLURM_OPT_IN}=1 to run them (CI does, in .ci/run)"
        )


# ---- shared builds: each made once per test run, by the first test that asks for it --------------


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A copy of the workflow with the test configuration built in full (rule all: every enabled
    paper's figures and scorecard). Tests read it; a test that edits it restores what it edited."""
    from workflow_helpers import TEST_CONFIG, copy_workflow, snakemake

    work = copy_workflow(tmp_path_factory.mktemp("workflow"))
    snakemake(work, "--configfile", TEST_CONFIG)  # no target: rule all, every figure
    return work


@pytest.fixture(scope="session")
def fig7_alone(tmp_path_factory):
    """Another copy with Figure 7 of the test configuration alone built, on one core (``built`` has
    two): what a user has after building one figure."""
    from workflow_helpers import TEST_CONFIG, copy_workflow, snakemake

    work = copy_workflow(tmp_path_factory.mktemp("fig7-alone"))
    snakemake(work, "figures/fig7.pdf", "--configfile", TEST_CONFIG, cores=1)
    return work


@pytest.fixture(scope="session")
def paper_scale(tmp_path_factory):
    """The paper-scale plan (config/paper.yaml) from one dry run in a fresh copy: ``.jobs(target)``
    for rule all, each paper's target rule (its key) or any output file."""
    from workflow_helpers import DryRun, copy_workflow

    from ntkrepro.papers import load_all

    return DryRun(copy_workflow(tmp_path_factory.mktemp("paper-scale")), "all", *load_all(),
                  "--configfile=config/paper.yaml")


def jacobian(model: nn.Module, x: torch.Tensor, parameters=None) -> torch.Tensor:
    """Float64 per-sample Jacobians (n, C, P) from torch.func, independent of the engine; with
    ``parameters`` (name prefixes) only those parameters' columns."""
    model = copy.deepcopy(model).double().eval()
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    frozen = {k: v.detach() for k, v in model.named_parameters() if not v.requires_grad}
    buffers = dict(model.named_buffers())

    def f(p, xi):
        return functional_call(model, ({**p, **frozen}, buffers), (xi.unsqueeze(0),)).reshape(-1)

    jac = vmap(jacrev(f), in_dims=(None, 0))(params, x.double())

    def chosen(name):
        return parameters is None or any(name == p or name.startswith(p + ".") for p in parameters)

    return torch.cat([j.reshape(*j.shape[:2], -1) for k, j in jac.items() if chosen(k)], dim=2)


def from_jacobians(j1: torch.Tensor, j2: torch.Tensor, outputs: str = "scalar") -> torch.Tensor:
    full = torch.einsum("icp,jdp->ijcd", j1, j2)
    if outputs == "full":
        return full
    if outputs == "trace":
        return full.diagonal(dim1=2, dim2=3).mean(-1)
    assert full.shape[2:] == (1, 1)
    return full[:, :, 0, 0]


def reference_ntk(model, x1, x2=None, outputs="scalar", parameters=None) -> torch.Tensor:
    """Float64 Θ(x1, x2) from full per-sample Jacobians (torch.func), in the engine's layouts."""
    j1 = jacobian(model, x1, parameters)
    j2 = j1 if x2 is None else jacobian(model, x2, parameters)
    return from_jacobians(j1, j2, outputs)


def reference_gram(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """Float64 scalar-output Θ(x1, x2)."""
    return reference_ntk(model, x1, x2)


def reference_ntk_products(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
    """Float64 full Θ(x1, x2) (n1, n2, C, C) from Jacobian-vector products, never holding a Jacobian:
    row (i, c) is the JVP of f(x2) along the gradient of f_c(x1_i) (for networks too large for
    :func:`jacobian`)."""
    model = copy.deepcopy(model).double().eval()
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    frozen = {k: v.detach() for k, v in model.named_parameters() if not v.requires_grad}
    buffers = dict(model.named_buffers())

    def f(p, x):
        return functional_call(model, ({**p, **frozen}, buffers), (x,)).reshape(len(x), -1)

    x1, x2 = x1.double(), x2.double()
    rows = []
    for i in range(len(x1)):
        y, pullback = vjp(lambda p: f(p, x1[i : i + 1])[0], params)
        per_output = []
        for c in range(len(y)):
            (tangent,) = pullback(torch.nn.functional.one_hot(torch.tensor(c), len(y)).double())
            per_output.append(jvp(lambda p: f(p, x2), (params,), (tangent,))[1])  # (n2, C)
        rows.append(torch.stack(per_output, dim=1))  # (n2, C, C)
    return torch.stack(rows)


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


class SmallCNN(nn.Module):
    """Convolutions (padded, strided, with and without bias), pooling and dense layers."""

    def __init__(self, channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 4, 3, padding=1)
        self.pool = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(4, 5, 3, stride=2, padding=1, bias=False)
        self.mpool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(5, 7)
        self.fc2 = nn.Linear(7, 1)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.mpool(nn.functional.gelu(self.conv2(x)))
        return self.fc2(torch.tanh(self.fc1(x.flatten(1)))).squeeze(-1)


class BatchNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6 * 8 * 8, 5)
        self.bn1d = nn.BatchNorm1d(5)
        self.head = nn.Linear(5, 1)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.head(torch.relu(self.bn1d(self.fc(x.flatten(1))))).squeeze(-1)


class RawParameterNet(nn.Module):
    """A parameter used outside any known layer: the layerwise path cannot express it."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 192) / 14)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        return self.out(torch.tanh(x.flatten(1) @ self.w.T)).squeeze(-1)


class InplaceNet(nn.Module):
    """In-place activations overwrite the layer outputs the hook path records."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.fc = nn.Linear(4 * 8 * 8, 1)

    def forward(self, x):
        return self.fc(self.act(self.conv(x)).flatten(1)).squeeze(-1)


class SequenceNet(nn.Module):
    """A dense layer applied at several positions (a Linear on a 3-D input)."""

    def __init__(self):
        super().__init__()
        self.mix = nn.Linear(4, 6)
        self.head = nn.Linear(6, 1)

    def forward(self, x):
        h = torch.tanh(self.mix(x.reshape(len(x), -1, 4)))  # (b, positions, 6)
        return self.head(h.mean(1)).squeeze(-1)


@pytest.fixture
def rng():
    return torch.Generator().manual_seed(1234)


def randomize_batchnorm(model: nn.Module, g: torch.Generator) -> nn.Module:
    """Give BatchNorm layers non-trivial running statistics and affine parameters."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g))
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=g))
                m.bias.copy_(torch.randn(m.num_features, generator=g))
    return model


class ConvZoo(nn.Module):
    """Convolutions of every per-sample-gradient method: strides, dilations, non-square kernels."""

    def __init__(self):
        super().__init__()
        self.few = nn.Conv2d(3, 8, (3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1))  # grouped
        self.wide = nn.Conv2d(8, 72, 3, stride=1, padding=2, dilation=2)  # many channels, >= 64 positions
        self.small = nn.Conv2d(72, 12, (2, 3), stride=2, padding=1, bias=False)  # many channels, < 64 positions
        self.head = nn.Linear(12 * 3 * 3, 1)

    def forward(self, x):
        x = torch.tanh(self.few(x))  # (8, 16, 8) from (3, 18, 16)
        x = torch.tanh(self.wide(x))  # (72, 16, 8)
        x = torch.tanh(self.small(x))  # (12, 9, 4)
        return self.head(x[:, :, :3, :3].flatten(1)).squeeze(-1)


# ------------------------------------------------------------------------------------------------
# networks with 10 outputs (the project's architectures have one)


class MLP10(nn.Module):
    def __init__(self, d_in=192):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(d_in, 16), nn.Tanh(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 10))

    def forward(self, x):
        return self.net(x)


class LeNet10(nn.Module):
    """LeNet-like: padded 5x5 convolutions, average and max pooling, dense head with 10 outputs."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 6, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        )
        self.classifier = nn.Sequential(nn.Linear(16 * 2 * 2, 20), nn.ReLU(), nn.Linear(20, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class Block(nn.Module):
    """A torchvision-style basic block: in-place ReLU and in-place residual sum."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.down(x)
        return self.relu(out)


class SmallResNet10(nn.Module):
    """A small ResNet with eval-mode BatchNorm, in-place operations and 10 outputs."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.block1 = Block(8, 12, 2)
        self.block2 = Block(12, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(self.pool(self.block2(self.block1(self.stem(x)))).flatten(1))
