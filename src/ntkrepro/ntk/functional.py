"""Materialized per-sample Jacobians from torch.func: any network whose samples are independent,
at the cost of all P parameters per sample and output (the slow, general path)."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from .features import Features


class FuncJacobian:
    """Features (b, C, P) of a batch; ``group`` maps each trainable parameter name to its group."""

    name = "torch.func"

    def __init__(self, model: nn.Module, group: dict[str, int] | None = None, n_groups: int = 1):
        self.model = model
        self.names = [n for n, p in model.named_parameters() if p.requires_grad]
        self.group = group if group is not None else {n: 0 for n in self.names}
        self.n_groups = n_groups
        params = dict(model.named_parameters())
        self.params = {n: params[n].detach() for n in self.names}
        frozen = {n: p.detach() for n, p in model.named_parameters() if not p.requires_grad}
        buffers = dict(model.named_buffers())

        def f(p, x):
            return functional_call(model, ({**p, **frozen}, buffers), (x.unsqueeze(0),)).reshape(-1)

        self._jacobian = vmap(jacrev(f), in_dims=(None, 0))

    def __call__(self, x: torch.Tensor, out: Features | None = None) -> Features:
        jac = self._jacobian(self.params, x)  # name -> (b, C, *parameter shape)
        n_out = next(iter(jac.values())).shape[1]
        if out is None:
            widths = [0] * self.n_groups
            for n in self.names:
                widths[self.group[n]] += self.params[n].numel()
            groups = tuple(i for i, w in enumerate(widths) if w)
            out = Features([x.new_empty(len(x), n_out, widths[i]) for i in groups], [], groups, (), self.n_groups)
        dense = dict(zip(out.dense_group, out.dense))
        col = [0] * self.n_groups
        for n in self.names:
            grp, k = self.group[n], self.params[n].numel()
            dense[grp][:, :, col[grp] : col[grp] + k].copy_(jac[n].reshape(len(x), n_out, k))
            col[grp] += k
        return out

    def clone(self) -> "FuncJacobian":
        """An independent copy (own model: functional_call swaps its parameters while it runs)."""
        return FuncJacobian(copy.deepcopy(self.model), self.group, self.n_groups)

    def pair_flops(self, n_out: int, mode: str) -> float:
        pairs = n_out * n_out if mode == "full" else n_out
        return 2.0 * sum(p.numel() for p in self.params.values()) * pairs

    def describe(self) -> str:
        return self.name
