"""Linearized networks, trained with the same loop as the networks themselves.

    f_lin(x; θ) = f(x; θc) + ∇θf(x; θc)·(θ − θc)     (offset=True: the linearization at θc)
    f_lin(x; θ) =            ∇θf(x; θc)·(θ − θc)     (offset=False: the "unbiased" one)

θc is the center (θ0, or a later checkpoint θ*). By default the Jacobian is never materialized:
the forward pass is one Jacobian-vector product (torch.func.jvp, which also yields f(x; θc)), and
the gradient with respect to θ is one vector-Jacobian product at θc. When the samples a run sees are
known in advance and their Jacobian fits in memory, ``materialize`` computes f(x; θc) and ∇θf(x; θc)
once, and every step is a product with its rows (the same function, to the last bits; a small
network's step costs ~10 forward passes the JVP way). The network runs in eval mode (BatchNorm with
running statistics), so the model is linear in θ and samples stay independent.
"""

from __future__ import annotations

import copy
import warnings
from functools import cache

import torch
from torch import nn
from torch.autograd import forward_ad
from torch.func import functional_call, jvp, vjp
from torch.utils.flop_counter import FlopCounterMode

from .errors import ConfigError
from .models import estimate_batchnorm_statistics, reset_batchnorm_statistics
from .ntk import per_sample_gradients

EVAL_BATCH = 1024


BATCHNORM_STATS = ("init", "checkpoint", "train")


def with_batchnorm_statistics(model: nn.Module, stats: str, x_train: torch.Tensor) -> nn.Module:
    """The network a linearization is taken around, with the BatchNorm statistics it runs on:
    ``init`` (mean 0, variance 1: their values at initialization, as the authors' code resets them),
    ``checkpoint`` (the running statistics the network state carries) or ``train`` (re-estimated on
    the training inputs at that state)."""
    if stats == "init":
        return reset_batchnorm_statistics(model)
    if stats == "train":
        return estimate_batchnorm_statistics(model, x_train)
    if stats != "checkpoint":
        raise ConfigError(f"unknown linearization.batchnorm_stats {stats!r} ({' | '.join(BATCHNORM_STATS)})")
    return model


@cache
def _load_jvp_decompositions() -> None:
    """Forward-mode AD imports torch's JVP decompositions on first use, and that import compiles them
    with torch.jit.script, which warns that torch.jit.script is deprecated (a FutureWarning about
    torch's own code, in every linearized run's log): import them here with exactly it silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)
        forward_ad._maybe_load_decompositions()


class _LinearTerm(torch.autograd.Function):
    """(f(x; θc), ∇θf(x; θc)·δ) with the backward of the second term only (the first is constant)."""

    @staticmethod
    def forward(ctx, model, names, center, x, *delta):
        params = dict(zip(names, center))
        tangents = dict(zip(names, delta))

        def f(p):
            return functional_call(model, p, (x,))

        _load_jvp_decompositions()
        with torch.no_grad():
            primal, tangent = jvp(f, (params,), (tangents,))
        ctx.model, ctx.names, ctx.center = model, names, center
        ctx.save_for_backward(x)
        ctx.mark_non_differentiable(primal)
        return primal, tangent

    @staticmethod
    def backward(ctx, _grad_primal, grad_tangent):
        (x,) = ctx.saved_tensors
        params = dict(zip(ctx.names, ctx.center))
        with torch.enable_grad():
            _, pullback = vjp(lambda p: functional_call(ctx.model, p, (x,)), params)
            (grads,) = pullback(grad_tangent)
        return (None, None, None, None, *(grads[n] for n in ctx.names))


class Linearized(nn.Module):
    """The first-order Taylor model of ``model`` around its current parameters θc.

    Its trainable parameters are θ (a copy of θc to start with); ``state_dict`` holds θ under the
    network's own parameter names, so a checkpoint of a linearized model loads into the network
    architecture (``models.load_model``) and gives the parameters θ it reached.
    """

    def __init__(self, model: nn.Module, *, offset: bool = True):
        super().__init__()
        self.net = copy.deepcopy(model).eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.names = [n for n, _ in self.net.named_parameters()]
        self.center = [p.detach().clone() for p in self.net.parameters()]
        self.offset = offset
        self.theta = nn.ParameterList([nn.Parameter(c.clone()) for c in self.center])
        self.spec = getattr(model, "spec", None)
        self._rows: dict[bytes, int] = {}  # sample content -> row of the materialized Jacobian
        self._outputs = self._jacobian = None

    def flops_per_jacobian_entry(self, x: torch.Tensor) -> float:
        """FLOPs of the network's forward pass on one sample per entry of its Jacobian (outputs ×
        parameters): what decides which path is faster. A JVP and a VJP cost a few forward passes
        per sample; a product with materialized rows reads each entry two or three times. Dense
        networks do about 2 FLOPs per entry (each weight used once), convolutions reuse theirs."""
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = self.net(x[:1].to(self.center[0].device))
        return counter.get_total_flops() / (out[0].numel() * sum(c.numel() for c in self.center))

    def materialize(self, *inputs: torch.Tensor, max_bytes: float) -> bool:
        """Compute f(x; θc) and the Jacobian ∇θf(x; θc) of every sample of ``inputs`` once.

        A batch made only of these samples is then evaluated as a product with the Jacobian's rows;
        samples are recognized by their content, so callers pass batches as before, and a batch
        with any other sample (an augmented one, say) takes the JVP path. Returns False, keeping the
        JVP path for every batch, when the Jacobian would take more than ``max_bytes``.
        """
        x = torch.cat([t.detach().cpu() for t in inputs])
        center = self.center[0]
        n_params = sum(c.numel() for c in self.center)
        with torch.no_grad():
            outputs = torch.cat([self.net(x[s : s + EVAL_BATCH].to(center.device)) for s in range(0, len(x), EVAL_BATCH)])
        n_outputs = outputs[0].numel()
        if len(x) * n_outputs * n_params * center.element_size() > max_bytes:
            return False
        differentiable = copy.deepcopy(self.net).requires_grad_(True)
        jacobian = per_sample_gradients(differentiable, x, outputs="full", device=center.device, dtype=center.dtype)
        self._outputs, self._jacobian = outputs, jacobian.to(center.device)
        self._rows = {}
        for i, sample in enumerate(x):
            self._rows.setdefault(_content(sample), i)
        return True

    def _materialized_rows(self, x: torch.Tensor) -> torch.Tensor | None:
        if self._jacobian is None:
            return None
        rows = [self._rows.get(_content(sample)) for sample in x.detach().cpu()]
        if None in rows:
            return None
        return torch.tensor(rows, device=self._jacobian.device)

    def train(self, mode: bool = True):
        """As ``nn.Module.train``, except that the wrapped network stays in eval mode."""
        super().train(mode)
        self.net.eval()  # the linearization is taken with BatchNorm in eval mode, always
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """f(x; θ0) + ∇θf(x; θ0)·(θ − θ0)."""
        delta = [t - c for t, c in zip(self.theta, self.center)]
        rows = self._materialized_rows(x)
        if rows is None:
            primal, tangent = _LinearTerm.apply(self.net, self.names, self.center, x, *delta)
        else:
            primal = self._outputs[rows]
            flat = torch.cat([d.reshape(-1) for d in delta])
            tangent = (self._jacobian[_as_slice(rows)] @ flat).reshape(primal.shape)
        return primal + tangent if self.offset else tangent

    def network_state(self) -> dict:
        """The network's state dict with the parameters θ (buffers from the center)."""
        state = self.net.state_dict()
        for name, t in zip(self.names, self.theta):
            state[name] = t.detach().clone()
        return state

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        self.center = [fn(c) for c in self.center]  # not parameters, so moved here (.to, .double)
        if self._jacobian is not None:
            self._outputs, self._jacobian = fn(self._outputs), fn(self._jacobian)
        return self


def materialize_if_faster(model: Linearized, *inputs: torch.Tensor, max_gb: float, min_flops_per_entry: float) -> str:
    """Materialize the Jacobian of ``inputs`` when the network's forward pass costs at least
    ``min_flops_per_entry`` FLOPs per Jacobian entry (below it the JVP way is faster) and it fits in
    ``max_gb``; returns a line saying which way each step goes (linearization.jacobian_* keys)."""
    flops = model.flops_per_jacobian_entry(inputs[0])
    if flops < min_flops_per_entry:
        return (f"the forward pass costs {flops:.1f} FLOPs per Jacobian entry, under "
                f"linearization.jacobian_flops_per_entry = {min_flops_per_entry}: each step is a JVP and a VJP")
    if model.materialize(*inputs, max_bytes=max_gb * 2**30):
        return f"the Jacobian of the samples is materialized ({flops:.1f} FLOPs per entry): each step is a matrix product"
    return f"the Jacobian would take more than linearization.jacobian_gb = {max_gb}: each step is a JVP and a VJP"


def _as_slice(rows: torch.Tensor) -> slice | torch.Tensor:
    """Consecutive rows (an evaluation's batches) as a slice: a view of the Jacobian, where indexing
    with the rows would copy them (at memory bandwidth, for every batch of every evaluation). Other
    rows (a training step's shuffled batch) are gathered afresh: into a buffer kept between steps,
    aten.index's out= variant measured no faster and index_select's several times slower."""
    first = int(rows[0])
    if torch.equal(rows, torch.arange(first, first + len(rows), device=rows.device)):
        return slice(first, first + len(rows))
    return rows


def _content(sample: torch.Tensor) -> bytes:
    return sample.contiguous().numpy().tobytes()
