"""Per-sample Jacobian features of a scalar-output network, layer by layer.

One forward and one backward pass over a batch record, for every layer with parameters, its
input ``a`` and the gradient ``g`` of the summed output with respect to its output. Because
samples do not interact (BatchNorm runs in eval mode), ``g[i]`` is the gradient of f(x_i) alone,
and each layer's contribution to Θ(x_i, x_j) can be built from (a, g) in one of two ways:

* materialized: the per-sample parameter gradient, flattened; Θ_l = J_l J_lᵀ.
* structured (dense and convolution layers): the factors A (inputs or patches, D positions x k)
  and G (output gradients, D x c); Θ_l(i, j) = Σ_{p,q} (A_ip·A_jq)(G_ip·G_jq), which never forms
  the k x c weight gradient. For a dense layer (D = 1) this is (A Aᵀ) ⊙ (G Gᵀ).

A cost model picks the cheaper form per layer. Networks with layers this module does not know
(or parameters used twice) are handled by :class:`FuncFeatures`, torch.func per-sample gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# Cost, in flop-equivalents, of one elementwise pass over one entry of a Gram tile (memory bound)
ELEMENTWISE_COST = 8.0
# Bound on the (rows·D) x (cols·D) intermediates of structured convolutions, in elements
STRUCTURED_CHUNK_ELEMENTS = 1 << 24


@dataclass
class Features:
    """Jacobian features of a batch: ``dense`` rows are materialized per-sample gradients;
    each ``factored`` pair (A, G) of shapes (b, D, k), (b, D, c) is one structured layer."""

    dense: torch.Tensor | None
    factored: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.dense) if self.dense is not None else len(self.factored[0][0])

    @property
    def nbytes(self) -> int:
        tensors = ([self.dense] if self.dense is not None else []) + [t for pair in self.factored for t in pair]
        return sum(t.numel() * t.element_size() for t in tensors)

    @staticmethod
    def cat(parts: list["Features"]) -> "Features":
        dense = torch.cat([p.dense for p in parts]) if parts[0].dense is not None else None
        factored = [
            (torch.cat([p.factored[i][0] for p in parts]), torch.cat([p.factored[i][1] for p in parts]))
            for i in range(len(parts[0].factored))
        ]
        return Features(dense, factored)


def contract(f1: Features, f2: Features) -> torch.Tensor:
    """The Gram block Θ(batch1, batch2) = Σ_layers J_l(batch1) J_l(batch2)ᵀ."""
    out = f1.dense @ f2.dense.T if f1.dense is not None else None
    for (a1, g1), (a2, g2) in zip(f1.factored, f2.factored):
        term = _contract_factored(a1, g1, a2, g2)
        out = term if out is None else out.add_(term)
    return out


def _contract_factored(a1, g1, a2, g2) -> torch.Tensor:
    b1, d, _ = a1.shape
    b2 = a2.shape[0]
    if d == 1:
        return (a1[:, 0] @ a2[:, 0].T).mul_(g1[:, 0] @ g2[:, 0].T)
    a2f, g2f = a2.reshape(b2 * d, -1), g2.reshape(b2 * d, -1)
    rows = max(1, STRUCTURED_CHUNK_ELEMENTS // (b2 * d * d))
    out = torch.empty(b1, b2, dtype=a1.dtype, device=a1.device)
    for r0 in range(0, b1, rows):
        r1 = min(b1, r0 + rows)
        prod = (a1[r0:r1].reshape(-1, a1.shape[2]) @ a2f.T).mul_(g1[r0:r1].reshape(-1, g1.shape[2]) @ g2f.T)
        out[r0:r1] = prod.reshape(r1 - r0, d, b2, d).sum(dim=(1, 3))
    return out


# ----------------------------------------------------------------------------------------------
# Layer rules: how each known layer type turns (a, g) into features, and what each form costs.


class LayerRule:
    structured_ok = False

    def supported(self, m: nn.Module) -> bool:
        return True

    def positions_and_sizes(self, m, a, g) -> tuple[int, int, int]:
        """(D, k, c) of the structured form: positions, input-factor and output-factor widths."""
        raise NotImplementedError

    def dense(self, m, a, g) -> torch.Tensor:
        raise NotImplementedError

    def factored(self, m, a, g) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError


def _trainable(m: nn.Module) -> list[nn.Parameter]:
    return [p for p in m.parameters(recurse=False) if p.requires_grad]


def _with_bias_column(a: torch.Tensor, m: nn.Module) -> torch.Tensor:
    if m.bias is None or not m.bias.requires_grad:
        return a
    return torch.cat([a, a.new_ones(*a.shape[:-1], 1)], dim=-1)


class LinearRule(LayerRule):
    structured_ok = True

    def supported(self, m):
        return m.weight.requires_grad

    def _flat(self, a, g):
        return a.reshape(a.shape[0], -1, a.shape[-1]), g.reshape(g.shape[0], -1, g.shape[-1])

    def positions_and_sizes(self, m, a, g):
        a, g = self._flat(a, g)
        return a.shape[1], a.shape[2] + (m.bias is not None and m.bias.requires_grad), g.shape[2]

    def dense(self, m, a, g):
        a, g = self._flat(a, g)
        parts = [torch.einsum("bdo,bdi->boi", g, a).reshape(len(a), -1)]
        if m.bias is not None and m.bias.requires_grad:
            parts.append(g.sum(1))
        return torch.cat(parts, dim=1)

    def factored(self, m, a, g):
        a, g = self._flat(a, g)
        return _with_bias_column(a, m), g


class Conv2dRule(LayerRule):
    structured_ok = True

    def supported(self, m):
        return m.weight.requires_grad and m.groups == 1 and m.padding_mode == "zeros" and not isinstance(m.padding, str)

    def _unfold(self, m, a):
        return F.unfold(a, m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride)

    def positions_and_sizes(self, m, a, g):
        k = m.in_channels * m.kernel_size[0] * m.kernel_size[1] + (m.bias is not None and m.bias.requires_grad)
        return g.shape[2] * g.shape[3], k, m.out_channels

    def dense(self, m, a, g):
        u = self._unfold(m, a)  # (b, C_in k², D)
        g = g.reshape(g.shape[0], g.shape[1], -1)  # (b, C_out, D)
        parts = [torch.bmm(g, u.transpose(1, 2)).reshape(len(a), -1)]
        if m.bias is not None and m.bias.requires_grad:
            parts.append(g.sum(2))
        return torch.cat(parts, dim=1)

    def factored(self, m, a, g):
        u = self._unfold(m, a).transpose(1, 2)  # (b, D, C_in k²)
        return _with_bias_column(u, m), g.reshape(g.shape[0], g.shape[1], -1).transpose(1, 2)


class BatchNormRule(LayerRule):
    """Eval-mode BatchNorm: an affine map of the input normalized with the running statistics."""

    def supported(self, m):
        return m.affine and m.running_mean is not None

    def dense(self, m, a, g):
        shape = (1, -1) + (1,) * (a.dim() - 2)
        xhat = (a - m.running_mean.reshape(shape)) * torch.rsqrt(m.running_var.reshape(shape) + m.eps)
        dims = tuple(range(2, a.dim()))
        parts = []
        if m.weight.requires_grad:
            parts.append((g * xhat).sum(dims) if dims else g * xhat)
        if m.bias.requires_grad:
            parts.append(g.sum(dims) if dims else g)
        return torch.cat(parts, dim=1)


RULES: dict[type, LayerRule] = {
    nn.Linear: LinearRule(),
    nn.Conv2d: Conv2dRule(),
    nn.BatchNorm1d: BatchNormRule(),
    nn.BatchNorm2d: BatchNormRule(),
}


class Unsupported(Exception):
    """The network has a layer or a parameter use the hook path cannot express."""


def rule_for(m: nn.Module) -> LayerRule | None:
    rule = RULES.get(type(m))
    return rule if rule is not None and rule.supported(m) else None


class HookFeatures:
    """Features from one forward and one backward pass with hooks (the fast path)."""

    name = "layerwise"

    def __init__(self, model: nn.Module):
        self.model = model
        self.layers = [m for m in model.modules() if _trainable(m)]
        for m in self.layers:
            if rule_for(m) is None:
                raise Unsupported(f"layer {type(m).__name__} has no layerwise rule")
        self.structured: dict[nn.Module, bool] | None = None  # decided on the first batch

    def _capture(self, x):
        records: dict[nn.Module, list] = {}

        def hook(m, inputs, output):
            if m in records:
                raise Unsupported(f"{type(m).__name__} is called twice in one forward pass")
            records[m] = [inputs[0].detach(), output]

        handles = [m.register_forward_hook(hook) for m in self.layers]
        try:
            out = self.model(x)
        finally:
            for h in handles:
                h.remove()
        if out.dim() > 1 and out.shape[1:].numel() != 1:
            raise ValueError(f"gram needs a scalar-output network; its output has shape {tuple(out.shape)}")
        if len(records) != len(self.layers):
            raise Unsupported("some layers with parameters were not called")
        outputs = [records[m][1] for m in self.layers]
        grads = torch.autograd.grad(out.sum(), outputs, allow_unused=True)
        if any(gr is None for gr in grads):
            raise Unsupported("a layer's output does not reach the network output")
        return [(records[m][0], gr.detach()) for m, gr in zip(self.layers, grads)]

    def _decide(self, captured):
        self.structured = {}
        self.costs = {}
        for m, (a, g) in zip(self.layers, captured):
            rule = rule_for(m)
            n_params = sum(p.numel() for p in _trainable(m))
            materialized = 2.0 * n_params
            structured = float("inf")
            if rule.structured_ok:
                d, k, c = rule.positions_and_sizes(m, a, g)
                structured = 2.0 * d * d * (k + c) + ELEMENTWISE_COST * d * d
            self.structured[m] = structured < materialized
            self.costs[m] = min(structured, materialized)

    def __call__(self, x: torch.Tensor) -> Features:
        with torch.enable_grad():
            captured = self._capture(x)
        if self.structured is None:
            self._decide(captured)
        dense, factored = [], []
        with torch.no_grad():
            for m, (a, g) in zip(self.layers, captured):
                rule = rule_for(m)
                if self.structured[m]:
                    factored.append(rule.factored(m, a, g))
                else:
                    dense.append(rule.dense(m, a, g))
        return Features(torch.cat(dense, dim=1) if dense else None, factored)

    def describe(self) -> str:
        if self.structured is None:
            return self.name
        n_struct = sum(self.structured.values())
        return f"{self.name} ({n_struct} structured, {len(self.layers) - n_struct} materialized layers)"


class FuncFeatures:
    """Materialized per-sample gradients from torch.func (any network whose samples are independent)."""

    name = "torch.func"

    def __init__(self, model: nn.Module):
        from torch.func import functional_call, grad, vmap

        self.model = model
        self.names = [n for n, p in model.named_parameters() if p.requires_grad]
        params = dict(model.named_parameters())
        self.params = {n: params[n].detach() for n in self.names}
        frozen = {n: p.detach() for n, p in model.named_parameters() if not p.requires_grad}
        buffers = dict(model.named_buffers())

        def f(p, x):
            out = functional_call(model, ({**p, **frozen}, buffers), (x.unsqueeze(0),))
            if out.numel() != 1:
                raise ValueError(f"gram needs a scalar-output network; its output has shape {tuple(out.shape)}")
            return out.reshape(())

        self._per_sample = vmap(grad(f), in_dims=(None, 0))

    def __call__(self, x: torch.Tensor) -> Features:
        g = self._per_sample(self.params, x)
        return Features(torch.cat([g[n].reshape(len(x), -1) for n in self.names], dim=1))

    def describe(self) -> str:
        return self.name
