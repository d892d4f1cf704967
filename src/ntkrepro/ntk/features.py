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
        return sum(t.numel() * t.element_size() for t in self._tensors())

    def _tensors(self) -> list[torch.Tensor]:
        return ([self.dense] if self.dense is not None else []) + [t for pair in self.factored for t in pair]

    def empty(self, n: int) -> "Features":
        """Uninitialized features of ``n`` samples with this batch's layout."""
        def new(t):
            return t.new_empty((n, *t.shape[1:]))

        return Features(None if self.dense is None else new(self.dense), [(new(a), new(g)) for a, g in self.factored])

    def rows(self, start: int, stop: int) -> "Features":
        """A view of samples ``start:stop``."""
        return Features(
            None if self.dense is None else self.dense[start:stop],
            [(a[start:stop], g[start:stop]) for a, g in self.factored],
        )

    def copy_(self, other: "Features") -> "Features":
        for dst, src in zip(self._tensors(), other._tensors()):
            dst.copy_(src)
        return self


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

    def dense(self, m, a, g, out: torch.Tensor) -> None:
        """Write the per-sample gradients of ``m``'s trainable parameters into ``out`` (b, n)."""
        raise NotImplementedError

    def factored(self, m, a, g) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError


def _trainable(m: nn.Module) -> list[nn.Parameter]:
    return [p for p in m.parameters(recurse=False) if p.requires_grad]


def _has_bias(m: nn.Module) -> bool:
    return m.bias is not None and m.bias.requires_grad


def _with_bias_column(a: torch.Tensor, m: nn.Module) -> torch.Tensor:
    if not _has_bias(m):
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
        return a.shape[1], a.shape[2] + _has_bias(m), g.shape[2]

    def dense(self, m, a, g, out):
        a, g = self._flat(a, g)
        n_w = m.weight.numel()
        out[:, :n_w].unflatten(1, m.weight.shape).copy_(torch.einsum("bdo,bdi->boi", g, a))
        if _has_bias(m):
            out[:, n_w:].copy_(g.sum(1))

    def factored(self, m, a, g):
        a, g = self._flat(a, g)
        return _with_bias_column(a, m), g


class Conv2dRule(LayerRule):
    """Per-sample convolution weight gradients dW_n[o, i, p, q] = Σ_y g_n[o, y] a_n[i, y + (p, q)].

    Three equivalent ways to compute them, chosen by shape (a fixed rule, so that results are
    reproducible): one grouped convolution (few channels), one batched matrix product per kernel
    offset (larger maps), or unfold + batched matrix product (small maps, many channels).
    """

    structured_ok = True

    def supported(self, m):
        return m.weight.requires_grad and m.groups == 1 and m.padding_mode == "zeros" and not isinstance(m.padding, str)

    def positions_and_sizes(self, m, a, g):
        k = m.in_channels * m.kernel_size[0] * m.kernel_size[1] + _has_bias(m)
        return g.shape[2] * g.shape[3], k, m.out_channels

    @staticmethod
    def method(m: nn.Conv2d, positions: int) -> str:
        if m.in_channels * m.out_channels <= 512:
            return "grouped"
        return "shifts" if positions >= 64 else "unfold"

    def dense(self, m, a, g, out):
        b = len(a)
        n_w = m.weight.numel()
        weights = out[:, :n_w].unflatten(1, m.weight.shape)  # (b, C_out, C_in, kh, kw)
        method = self.method(m, g.shape[2] * g.shape[3])
        if method == "grouped":
            # each sample's input channels (as a batch) correlated with its output gradients (as
            # kernels); stride and dilation swap roles
            kernels = g.reshape(b * m.out_channels, 1, *g.shape[2:])
            w = F.conv2d(a.transpose(0, 1), kernels, padding=m.padding, stride=m.dilation, dilation=m.stride, groups=b)
            kh, kw = m.kernel_size
            w = w[:, :, :kh, :kw].reshape(m.in_channels, b, m.out_channels, kh, kw)
            weights.copy_(w.permute(1, 2, 0, 3, 4))
        elif method == "shifts":
            ph, pw = m.padding
            padded = F.pad(a, (pw, pw, ph, ph))
            gf = g.reshape(b, m.out_channels, -1)
            (sh, sw), (dh, dw) = m.stride, m.dilation
            ho, wo = g.shape[2:]
            for p in range(m.kernel_size[0]):
                for q in range(m.kernel_size[1]):
                    window = padded[:, :, p * dh : p * dh + sh * (ho - 1) + 1 : sh, q * dw : q * dw + sw * (wo - 1) + 1 : sw]
                    weights[:, :, :, p, q].copy_(torch.bmm(gf, window.reshape(b, m.in_channels, -1).transpose(1, 2)))
        else:
            u = F.unfold(a, m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride)
            weights.flatten(2).copy_(torch.bmm(g.reshape(b, m.out_channels, -1), u.transpose(1, 2)))
        if _has_bias(m):
            out[:, n_w:].copy_(g.sum(dim=(2, 3)))

    def factored(self, m, a, g):
        u = F.unfold(a, m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride).transpose(1, 2)
        return _with_bias_column(u, m), g.reshape(g.shape[0], g.shape[1], -1).transpose(1, 2)


class BatchNormRule(LayerRule):
    """Eval-mode BatchNorm: an affine map of the input normalized with the running statistics."""

    def supported(self, m):
        return m.affine and m.running_mean is not None

    def dense(self, m, a, g, out):
        shape = (1, -1) + (1,) * (a.dim() - 2)
        xhat = (a - m.running_mean.reshape(shape)) * torch.rsqrt(m.running_var.reshape(shape) + m.eps)
        dims = tuple(range(2, a.dim()))
        col = 0
        for param, value in ((m.weight, g * xhat), (m.bias, g)):
            if param.requires_grad:
                out[:, col : col + m.num_features].copy_(value.sum(dims) if dims else value)
                col += m.num_features


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


def _n_trainable(m: nn.Module) -> int:
    return sum(p.numel() for p in _trainable(m))


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
        self.structured, self.costs = {}, {}
        for m, (a, g) in zip(self.layers, captured):
            rule = rule_for(m)
            materialized = 2.0 * _n_trainable(m)
            structured = float("inf")
            if rule.structured_ok:
                d, k, c = rule.positions_and_sizes(m, a, g)
                structured = 2.0 * d * d * (k + c) + ELEMENTWISE_COST * d * d
            self.structured[m] = structured < materialized
            self.costs[m] = min(structured, materialized)
        self.dense_width = sum(_n_trainable(m) for m in self.layers if not self.structured[m])

    def __call__(self, x: torch.Tensor, out: Features | None = None) -> Features:
        """Features of the batch ``x``, written into ``out`` when given."""
        with torch.enable_grad():
            captured = self._capture(x)
        if self.structured is None:
            self._decide(captured)
        with torch.no_grad():
            factored = [rule_for(m).factored(m, a, g) for m, (a, g) in zip(self.layers, captured) if self.structured[m]]
            if out is None:
                dense = x.new_empty(len(x), self.dense_width) if self.dense_width else None
                out = Features(dense, factored)
            else:
                for (a_out, g_out), (a, g) in zip(out.factored, factored):
                    a_out.copy_(a)
                    g_out.copy_(g)
            col = 0
            for m, (a, g) in zip(self.layers, captured):
                if not self.structured[m]:
                    n = _n_trainable(m)
                    rule_for(m).dense(m, a, g, out.dense[:, col : col + n])
                    col += n
        return out

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

    def __call__(self, x: torch.Tensor, out: Features | None = None) -> Features:
        g = self._per_sample(self.params, x)
        if out is None:
            out = Features(x.new_empty(len(x), sum(p.numel() for p in self.params.values())))
        col = 0
        for n in self.names:
            k = g[n][0].numel()
            out.dense[:, col : col + k].copy_(g[n].reshape(len(x), -1))
            col += k
        return out

    def describe(self) -> str:
        return self.name
