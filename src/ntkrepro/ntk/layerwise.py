"""Layerwise Jacobian features from one forward and one backward pass with hooks (the fast path).

Forward hooks record, for every layer with trainable parameters, its input ``a`` and its output;
one backward pass (batched over the C outputs of the network) gives each output's gradient with
respect to every recorded layer output. A cost model then picks, per layer, the materialized or
the structured form of :mod:`.rules`.

In-place operations after a layer (``nn.ReLU(inplace=True)``, ``out += identity`` in torchvision's
ResNets) would overwrite the recorded tensors: a layer whose input or output is modified in place is
detected by the tensors' version counters and re-run with both protected by a copy.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .features import Features
from .rules import LayerRule, costs, n_trainable, rule_for, trainable


class Unsupported(Exception):
    """The layerwise path cannot express a layer; ``layer`` is its module name."""

    def __init__(self, layer: str, module: nn.Module, why: str):
        super().__init__(f"layer '{layer}' ({type(module).__name__}): {why}")
        self.layer = layer


def parameter_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every module that owns trainable parameters, in ``model.modules()`` order
    (the order of ``model.named_parameters()``)."""
    return [(name or "(root)", m) for name, m in model.named_modules() if trainable(m)]


class LayerwiseJacobian:
    """Features of a batch from hooks; ``group`` maps each layer to the kernel group it counts in."""

    name = "layerwise"

    def __init__(self, model: nn.Module, mode: str, group: dict[nn.Module, int] | None = None, n_groups: int = 1,
                 materialize: bool = False):
        self.model, self.mode, self.materialize = model, mode, materialize
        self.layers = parameter_layers(model)
        self.group = group if group is not None else {m: 0 for _, m in self.layers}
        self.n_groups = n_groups
        self.rules: dict[nn.Module, LayerRule] = {}
        self.problems: list[Unsupported] = []
        owner: dict[int, str] = {}
        for name, m in self.layers:
            rule, why = rule_for(m)
            for p in trainable(m):
                if id(p) in owner:
                    why = f"shares a parameter with layer '{owner[id(p)]}'"
                owner[id(p)] = name
            if why is None:
                self.rules[m] = rule
            else:
                self.problems.append(Unsupported(name, m, why))
        self.protected: set[nn.Module] = set()
        self.structured: dict[nn.Module, bool] | None = None  # decided on the first batch
        self.costs: dict[nn.Module, float] = {}

    # -- recording ---------------------------------------------------------------------------

    def _forward(self, x: torch.Tensor):
        """The network output (b, C) and, per hooked layer, its (input, output)."""
        names = {m: n for n, m in self.layers}
        records, versions = {}, {}

        def protect_input(m, args):
            return (args[0].clone(), *args[1:])

        def record(m, inputs, output):
            if m in records:
                raise Unsupported(names[m], m, "called twice in one forward pass")
            records[m] = (inputs[0], output)
            versions[m] = (inputs[0]._version, output._version)
            return output.clone() if m in self.protected else None

        handles = [m.register_forward_hook(record) for m in self.rules]
        handles += [m.register_forward_pre_hook(protect_input) for m in self.protected]
        try:
            out = self.model(x)
        finally:
            for h in handles:
                h.remove()
        for m in self.rules:
            if m not in records:
                raise Unsupported(names[m], m, "not called in the forward pass (its parameters are used elsewhere)")
        modified = {m for m, (a, y) in records.items() if (a._version, y._version) != versions[m]}
        if modified:
            if modified <= self.protected:
                m = next(iter(modified))
                raise Unsupported(names[m], m, "modifies its own input in place")
            self.protected |= modified
            return self._forward(x)
        return out.reshape(len(x), -1), records

    def _capture(self, x: torch.Tensor) -> list[tuple[nn.Module, torch.Tensor, torch.Tensor]]:
        """(layer, input a, output gradients g (b, C, *output shape)) per hooked layer."""
        with torch.enable_grad():
            y, records = self._forward(x)
            hooked = list(self.rules)
            outputs = [records[m][1] for m in hooked]
            n_out = y.shape[1]
            if n_out == 1:
                grads = torch.autograd.grad(y.sum(), outputs, allow_unused=True)
                grads = [None if g is None else g.unsqueeze(1) for g in grads]
            else:  # one backward pass, vectorized over the outputs
                eye = torch.eye(n_out, dtype=y.dtype, device=y.device)[:, None, :].expand(n_out, len(x), n_out)
                grads = torch.autograd.grad(y, outputs, grad_outputs=eye, is_grads_batched=True, allow_unused=True)
                grads = [None if g is None else g.movedim(0, 1) for g in grads]
        captured = []
        for m, g, (a, out) in zip(hooked, grads, (records[m] for m in hooked)):
            if g is None:  # the layer does not reach the output: its gradient is zero
                g = out.new_zeros(len(x), n_out, *out.shape[1:])
            captured.append((m, a.detach(), g.detach()))
        return captured

    # -- the plan ----------------------------------------------------------------------------

    def _decide(self, captured) -> None:
        self.structured = {}
        for m, a, g in captured:
            materialized, structured = costs(self.rules[m], m, a, g, self.mode)
            self.structured[m] = structured < materialized and not self.materialize
            self.costs[m] = min(materialized, structured) if not self.materialize else materialized
        widths = [0] * self.n_groups
        for m, _, _ in captured:
            if not self.structured[m]:
                widths[self.group[m]] += n_trainable(m)
        self.dense_width = widths

    def clone(self) -> "LayerwiseJacobian":
        """An independent copy (own model) with the same plan, for another worker thread."""
        return copy.deepcopy(self)

    def regrouped(self, group: dict[nn.Module, int], n_groups: int) -> "LayerwiseJacobian":
        """The same plan (forms, protected layers) with other kernel groups."""
        other = copy.copy(self)
        other.group, other.n_groups = group, n_groups
        if self.structured is not None:
            other.dense_width = [0] * n_groups
            for m, structured in self.structured.items():
                if not structured:
                    other.dense_width[group[m]] += n_trainable(m)
        return other

    def pair_flops(self) -> float:
        """FLOPs of one kernel entry Θ(x_i, x_j) under the plan (the contraction alone)."""
        return sum(self.costs.values())

    def estimate(self, probe: torch.Tensor) -> tuple[float, float]:
        """(this path, all parameters materialized): FLOPs per kernel entry for batches like
        ``probe``, the layers this path cannot express counted as materialized."""
        captured = self._capture(probe)
        self._decide(captured)
        n_out = captured[0][2].shape[1]
        pairs = n_out * n_out if self.mode == "full" else n_out
        unsupported = sum(2.0 * n_trainable(m) * pairs for _, m in self.layers if m not in self.rules)
        everything = sum(2.0 * n_trainable(m) * pairs for _, m in self.layers)
        return self.pair_flops() + unsupported, everything

    # -- features ----------------------------------------------------------------------------

    def __call__(self, x: torch.Tensor, out: Features | None = None) -> Features:
        """Features of the batch ``x``, written into ``out`` when given."""
        if self.problems:
            raise self.problems[0]
        captured = self._capture(x)
        if self.structured is None:
            self._decide(captured)
        n_out = captured[0][2].shape[1]
        with torch.no_grad():
            factored = [(self.group[m], self.rules[m].factored(m, a, g)) for m, a, g in captured if self.structured[m]]
            if out is None:
                dense_groups = tuple(i for i, w in enumerate(self.dense_width) if w)
                out = Features(
                    [x.new_empty(len(x), n_out, self.dense_width[i]) for i in dense_groups],
                    [pair for _, pair in factored],
                    dense_groups,
                    tuple(grp for grp, _ in factored),
                    self.n_groups,
                )
            else:
                for (a_out, g_out), (_, (a, g)) in zip(out.factored, factored):
                    a_out.copy_(a)
                    g_out.copy_(g)
            dense = dict(zip(out.dense_group, out.dense))
            col = [0] * self.n_groups
            for m, a, g in captured:
                if not self.structured[m]:
                    grp, n = self.group[m], n_trainable(m)
                    self.rules[m].dense(m, a, g, dense[grp][:, :, col[grp] : col[grp] + n])
                    col[grp] += n
        return out

    def describe(self) -> str:
        if self.structured is None:
            return self.name
        n_struct = sum(self.structured.values())
        return f"{self.name} ({n_struct} structured, {len(self.structured) - n_struct} materialized layers)"
