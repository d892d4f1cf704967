"""Layer rules: how each known layer type turns its recorded input ``a`` and output gradients ``g``
into Jacobian features, and what each form costs.

``a`` is the layer's input for a batch of b samples; ``g`` (b, C, *output shape) holds, for every
output c of the network, the gradient of Σ_i f_c(x_i) with respect to the layer's output (samples
do not interact, so row i is the gradient of f_c(x_i) alone).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Cost, in flop-equivalents, of one elementwise pass over one entry of a kernel block (memory bound)
ELEMENTWISE_COST = 8.0


def trainable(m: nn.Module) -> list[nn.Parameter]:
    return [p for p in m.parameters(recurse=False) if p.requires_grad]


def n_trainable(m: nn.Module) -> int:
    return sum(p.numel() for p in trainable(m))


def _has_bias(m: nn.Module) -> bool:
    return m.bias is not None and m.bias.requires_grad


def _with_bias_column(a: torch.Tensor, m: nn.Module) -> torch.Tensor:
    if not _has_bias(m):
        return a
    return torch.cat([a, a.new_ones(*a.shape[:-1], 1)], dim=-1)


class LayerRule:
    structured_ok = False

    def unsupported(self, m: nn.Module) -> str | None:
        """Why the rule cannot express ``m`` (None: it can)."""
        return None

    def positions_and_sizes(self, m, a, g) -> tuple[int, int, int]:
        """(D, k, c) of the structured form: positions, input-factor and output-factor widths."""
        raise NotImplementedError

    def dense(self, m, a, g, out: torch.Tensor) -> None:
        """Write the per-sample gradients of ``m``'s trainable parameters (flattened, in
        ``m.parameters()`` order) into ``out`` (b, C, n)."""
        raise NotImplementedError

    def factored(self, m, a, g) -> tuple[torch.Tensor, torch.Tensor]:
        """A (b, D, k) and G (b, D, C, c), contiguous."""
        raise NotImplementedError


class LinearRule(LayerRule):
    structured_ok = True

    def unsupported(self, m):
        return None if m.weight.requires_grad else "a frozen weight with a trainable bias"

    @staticmethod
    def _flat(a, g):
        """a (b, D, in) and g (b, C, D, out): a Linear applied at D positions (D = 1 for 2-D input)."""
        return a.reshape(a.shape[0], -1, a.shape[-1]), g.reshape(*g.shape[:2], -1, g.shape[-1])

    def positions_and_sizes(self, m, a, g):
        a, g = self._flat(a, g)
        return a.shape[1], a.shape[2] + _has_bias(m), g.shape[3]

    def dense(self, m, a, g, out):
        a, g = self._flat(a, g)
        n_w = m.weight.numel()
        out[:, :, :n_w].unflatten(2, m.weight.shape).copy_(torch.einsum("bcdo,bdi->bcoi", g, a))
        if _has_bias(m):
            out[:, :, n_w:].copy_(g.sum(2))

    def factored(self, m, a, g):
        a, g = self._flat(a, g)
        return _with_bias_column(a, m).contiguous(), g.transpose(1, 2).contiguous()


class Conv2dRule(LayerRule):
    """Per-sample convolution weight gradients dW_n[o, i, p, q] = Σ_y g_n[o, y] a_n[i, y + (p, q)].

    The C outputs of the network are stacked as C·C_out output channels, so that each method is
    one batched operation for all outputs. Three equivalent ways to compute them, chosen by shape
    (a fixed rule, so that results are reproducible): one grouped convolution (few channels), one
    batched matrix product per kernel offset (larger maps), or unfold + one batched matrix product
    (small maps, many channels).
    """

    structured_ok = True

    def unsupported(self, m):
        if not m.weight.requires_grad:
            return "a frozen weight with a trainable bias"
        if m.groups != 1:
            return f"groups={m.groups}"
        if m.padding_mode != "zeros" or isinstance(m.padding, str):
            return f"padding={m.padding!r}, padding_mode={m.padding_mode!r}"
        return None

    def positions_and_sizes(self, m, a, g):
        k = m.in_channels * m.kernel_size[0] * m.kernel_size[1] + _has_bias(m)
        return g.shape[3] * g.shape[4], k, m.out_channels

    @staticmethod
    def method(m: nn.Conv2d, positions: int) -> str:
        # measured on LeNet's convolutions (1 and 10 outputs): the grouped convolution gains most
        # from the outputs stacked as channels
        if m.in_channels * m.out_channels <= 512:
            return "grouped"
        return "shifts" if positions >= 64 else "unfold"

    def dense(self, m, a, g, out):
        b, n_out = g.shape[:2]
        kh, kw = m.kernel_size
        rows = n_out * m.out_channels  # the outputs stacked as output channels
        gs = g.reshape(b, rows, *g.shape[3:])
        n_w = m.weight.numel()
        weights = out[:, :, :n_w].view(b, n_out, m.out_channels, m.in_channels, kh, kw)
        method = self.method(m, g.shape[3] * g.shape[4])
        if method == "grouped":
            # each sample's input channels (as a batch) correlated with its output gradients (as
            # kernels); stride and dilation swap roles
            kernels = gs.reshape(b * rows, 1, *gs.shape[2:])
            w = F.conv2d(a.transpose(0, 1), kernels, padding=m.padding, stride=m.dilation, dilation=m.stride, groups=b)
            w = w[:, :, :kh, :kw].reshape(m.in_channels, b, n_out, m.out_channels, kh, kw)
            weights.copy_(w.permute(1, 2, 3, 0, 4, 5))
        elif method == "shifts":
            ph, pw = m.padding
            padded = F.pad(a, (pw, pw, ph, ph))
            gf = gs.reshape(b, rows, -1)
            (sh, sw), (dh, dw) = m.stride, m.dilation
            ho, wo = gs.shape[2:]
            for p in range(kh):
                for q in range(kw):
                    window = padded[:, :, p * dh : p * dh + sh * (ho - 1) + 1 : sh, q * dw : q * dw + sw * (wo - 1) + 1 : sw]
                    prod = torch.bmm(gf, window.reshape(b, m.in_channels, -1).transpose(1, 2))
                    weights[..., p, q].copy_(prod.view(b, n_out, m.out_channels, m.in_channels))
        else:
            u = F.unfold(a, m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride)
            prod = torch.bmm(gs.reshape(b, rows, -1), u.transpose(1, 2))
            weights.flatten(3).copy_(prod.view(b, n_out, m.out_channels, -1))
        if _has_bias(m):
            out[:, :, n_w:].copy_(g.sum(dim=(3, 4)))

    def factored(self, m, a, g):
        b, n_out = g.shape[:2]
        u = F.unfold(a, m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride).transpose(1, 2)
        gd = g.reshape(b, n_out, m.out_channels, -1).permute(0, 3, 1, 2)  # (b, D, C, C_out)
        return _with_bias_column(u, m).contiguous(), gd.contiguous()


class BatchNormRule(LayerRule):
    """Eval-mode BatchNorm: an affine map of the input normalized with the running statistics."""

    def unsupported(self, m):
        if not m.affine:
            return "no affine parameters"
        return None if m.running_mean is not None else "no running statistics (track_running_stats=False)"

    def dense(self, m, a, g, out):
        shape = (1, -1) + (1,) * (a.dim() - 2)
        xhat = (a - m.running_mean.reshape(shape)) * torch.rsqrt(m.running_var.reshape(shape) + m.eps)
        dims = tuple(range(3, g.dim()))
        col = 0
        for param, value in ((m.weight, g * xhat.unsqueeze(1)), (m.bias, g)):
            if param.requires_grad:
                out[:, :, col : col + m.num_features].copy_(value.sum(dims) if dims else value)
                col += m.num_features


RULES: dict[type, LayerRule] = {
    nn.Linear: LinearRule(),
    nn.Conv2d: Conv2dRule(),
    nn.BatchNorm1d: BatchNormRule(),
    nn.BatchNorm2d: BatchNormRule(),
}


def rule_for(m: nn.Module) -> tuple[LayerRule | None, str | None]:
    """The rule for ``m`` and None, or None and why there is none."""
    rule = RULES.get(type(m))
    if rule is None:
        return None, "no layerwise rule for this layer type"
    why = rule.unsupported(m)
    return (rule, None) if why is None else (None, why)


def costs(rule: LayerRule, m: nn.Module, a, g, mode: str) -> tuple[float, float]:
    """FLOPs per kernel entry Θ(x_i, x_j) (all C x C output pairs in ``"full"`` mode, their trace
    otherwise) of the materialized and of the structured form (inf where there is none)."""
    n_out = g.shape[1]
    pairs = n_out * n_out if mode == "full" else n_out  # output pairs (c, c') contracted per entry
    materialized = 2.0 * n_trainable(m) * pairs
    if not rule.structured_ok:
        return materialized, float("inf")
    d, k, c = rule.positions_and_sizes(m, a, g)
    out_entries = n_out * n_out if mode == "full" else 1
    structured = 2.0 * d * d * (k + c * pairs) + ELEMENTWISE_COST * d * d * out_entries
    return materialized, structured
