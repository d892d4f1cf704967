"""Jacobian features of a batch and the kernel blocks they contract to.

A network with C outputs (C = 1: scalar) has, per sample x and output c, the gradient
J_c(x) = ∇θ f_c(x). The engine never holds J whole: each layer's part of it is kept either

* materialized: the per-sample gradients of the layer's parameters, rows of ``dense`` of shape
  (b, C, n), or
* structured (factored): A (b, D, k), the layer's inputs or patches at its D positions, and
  G (b, D, C, c), the gradients of each output with respect to the layer's outputs there. Then
  ⟨J_c,l(x_i), J_c',l(x_j)⟩ = Σ_{p,q} (A_ip · A_jq)(G_ipc · G_jqc'), which never forms the
  k x c weight gradient; for a dense layer (D = 1) it is (A Aᵀ) ⊙ (G_c G_c'ᵀ).

Kernel blocks come in two layouts:

* ``"trace"``: (b1, b2), the mean over outputs of Θ_cc (for C = 1 simply Θ, the scalar kernel);
* ``"full"``: (b1·C, b2·C), the sample-major matrix whose entry (i·C + c, j·C + c') is
  Θ_cc'(x_i, x_j). The public (b1, b2, C, C) layout is a permutation of it.

Features can be split into groups (the layers of one group are contracted together), so that the
kernels of several parameter groups come from one pass over the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

# Bound on the elements of the (rows·D) x (cols·D) intermediates of structured convolutions
STRUCTURED_CHUNK_ELEMENTS = 1 << 24


@dataclass
class Features:
    """Features of a batch of b samples with C outputs: ``dense[i]`` (b, C, n_i) belongs to group
    ``dense_group[i]``, ``factored[i]`` = (A (b, D, k), G (b, D, C, c)) to ``factored_group[i]``."""

    dense: list[torch.Tensor] = field(default_factory=list)
    factored: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)
    dense_group: tuple[int, ...] = ()
    factored_group: tuple[int, ...] = ()
    n_groups: int = 1

    def __len__(self) -> int:
        return len(self.dense[0]) if self.dense else len(self.factored[0][0])

    @property
    def n_outputs(self) -> int:
        return self.dense[0].shape[1] if self.dense else self.factored[0][1].shape[2]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self._tensors())

    def _tensors(self) -> list[torch.Tensor]:
        return self.dense + [t for pair in self.factored for t in pair]

    def _with(self, dense, factored) -> "Features":
        return Features(dense, factored, self.dense_group, self.factored_group, self.n_groups)

    def empty(self, n: int) -> "Features":
        """Uninitialized features of ``n`` samples with this batch's layout."""

        def new(t):
            return t.new_empty((n, *t.shape[1:]))

        return self._with([new(d) for d in self.dense], [(new(a), new(g)) for a, g in self.factored])

    def rows(self, start: int, stop: int) -> "Features":
        """A view of samples ``start:stop``."""
        return self._with([d[start:stop] for d in self.dense], [(a[start:stop], g[start:stop]) for a, g in self.factored])

    def copy_(self, other: "Features") -> "Features":
        for dst, src in zip(self._tensors(), other._tensors()):
            dst.copy_(src)
        return self


def contract(f1: Features, f2: Features, mode: str) -> list[torch.Tensor]:
    """Kernel blocks Θ(batch1, batch2), one per group, in the layout ``mode`` ("trace" | "full")."""
    out: list[torch.Tensor | None] = [None] * f1.n_groups

    def add(group: int, term: torch.Tensor) -> None:
        out[group] = term if out[group] is None else out[group].add_(term)

    for group, d1, d2 in zip(f1.dense_group, f1.dense, f2.dense):
        add(group, _contract_dense(d1, d2, mode))
    for group, (a1, g1), (a2, g2) in zip(f1.factored_group, f1.factored, f2.factored):
        add(group, _contract_factored(a1, g1, a2, g2, mode))
    n_out = f1.n_outputs
    if mode == "trace" and n_out > 1:
        for block in out:
            block.div_(n_out)
    return out


def _contract_dense(d1: torch.Tensor, d2: torch.Tensor, mode: str) -> torch.Tensor:
    rows = (lambda d: d.reshape(-1, d.shape[2])) if mode == "full" else (lambda d: d.reshape(len(d), -1))
    return rows(d1) @ rows(d2).T


def _contract_factored(a1, g1, a2, g2, mode: str) -> torch.Tensor:
    b1, d, k = a1.shape
    b2, n_out = a2.shape[0], g1.shape[2]
    if d == 1:
        aa = a1[:, 0] @ a2[:, 0].T
        if mode == "trace":
            return aa.mul_(g1.reshape(b1, -1) @ g2.reshape(b2, -1).T)
        gg = g1.reshape(b1 * n_out, -1) @ g2.reshape(b2 * n_out, -1).T
        return gg.view(b1, n_out, b2, n_out).mul_(aa[:, None, :, None]).view(b1 * n_out, b2 * n_out)
    a2f = a2.reshape(b2 * d, k)
    if mode == "trace":  # the sum over outputs is a contraction over the wider (C·c) output factor
        g1, g2f = g1.reshape(b1, d, -1), g2.reshape(b2 * d, -1)
        out = a1.new_empty(b1, b2)
        step = max(1, STRUCTURED_CHUNK_ELEMENTS // (b2 * d * d))
        for r0 in range(0, b1, step):
            r1 = min(b1, r0 + step)
            prod = (a1[r0:r1].reshape(-1, k) @ a2f.T).mul_(g1[r0:r1].reshape(-1, g1.shape[2]) @ g2f.T)
            out[r0:r1] = prod.view(r1 - r0, d, b2, d).sum(dim=(1, 3))
        return out
    c = g1.shape[3]
    g2f = g2.reshape(b2 * d * n_out, c)
    out = a1.new_empty(b1, n_out, b2, n_out)
    step = max(1, STRUCTURED_CHUNK_ELEMENTS // (b2 * d * d * n_out * n_out))
    for r0 in range(0, b1, step):
        r1 = min(b1, r0 + step)
        aa = (a1[r0:r1].reshape(-1, k) @ a2f.T).view(r1 - r0, d, 1, b2, d, 1)
        gg = (g1[r0:r1].reshape(-1, c) @ g2f.T).view(r1 - r0, d, n_out, b2, d, n_out)
        out[r0:r1] = gg.mul_(aa).sum(dim=(1, 4))
    return out.view(b1 * n_out, b2 * n_out)


def contract_paired(f1: Features, f2: Features, mode: str) -> list[torch.Tensor]:
    """Θ(x1_i, x2_i) for each row i of two batches of equal size, one per group: (b,) for
    ``"trace"``, (b, C, C) for ``"full"``."""
    out: list[torch.Tensor | None] = [None] * f1.n_groups

    def add(group: int, term: torch.Tensor) -> None:
        out[group] = term if out[group] is None else out[group].add_(term)

    for group, d1, d2 in zip(f1.dense_group, f1.dense, f2.dense):
        add(group, torch.bmm(d1, d2.transpose(1, 2)))
    for group, (a1, g1), (a2, g2) in zip(f1.factored_group, f1.factored, f2.factored):
        b, d, _, n_out, c = *a1.shape, g1.shape[2], g1.shape[3]
        aa = torch.bmm(a1, a2.transpose(1, 2))  # (b, D, D)
        gg = torch.bmm(g1.reshape(b, d * n_out, c), g2.reshape(b, d * n_out, c).transpose(1, 2))
        add(group, torch.einsum("bpq,bpcqe->bce", aa, gg.view(b, d, n_out, d, n_out)))
    n_out = f1.n_outputs
    if mode == "full":
        return out
    return [block.diagonal(dim1=1, dim2=2).sum(-1).div_(n_out) for block in out]
