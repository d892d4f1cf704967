"""Invariance of a network's kernel features to image transforms (Long 2021): for each family of
transforms T, the mean over samples of cos(φ(x), φ(Tx)) = K(x, Tx) / √(K(x, x) K(Tx, Tx)), from
paired kernel values alone (never the m x m matrix, never the features of more than a chunk)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import analysis
from .ntk.engine import FORWARD_CHUNK, GramComputation, as_tensor, tf32
from .ntk.features import contract_paired
from .transforms import TRANSFORMS


def paired_with_transforms(model: nn.Module, x, transformed: list, *, kind: str = "ntk", outputs: str = "scalar",
                           parameters: list[str] | None = None, implementation: str = "auto", device=None,
                           dtype: torch.dtype = torch.float32, allow_tf32: bool = False):
    """K(x_i, x_i), and for each batch t in ``transformed`` (each as long as x) K(x_i, t_i) and
    K(t_i, t_i): the values of ``ntk.paired`` (same chunks, same bits), with the features of each
    input computed once per chunk instead of once per pair. Returns (k_xx, [(k_xt, k_tt), ...]) as
    (m,) tensors; ``outputs`` "scalar" or "trace"."""
    x = as_tensor(x)
    transformed = [as_tensor(t) for t in transformed]
    if any(len(t) != len(x) for t in transformed):
        raise ValueError("every transformed batch needs as many samples as x")
    if outputs == "full":
        raise ValueError("invariances take one kernel value per pair: outputs 'scalar' or 'trace'")
    with tf32(allow_tf32), torch.no_grad():
        comp = GramComputation(model, x[:2], kind=kind, outputs=outputs, parameters=parameters,
                               implementation=implementation, block_size=2, device=device, dtype=dtype)
        workers = comp.workers()
        try:
            def unit(s):
                chunk = slice(s, s + FORWARD_CHUNK)
                fx = workers.extract(x[chunk].to(comp.device, dtype))
                values = [contract_paired(fx, fx, comp.mode)[0].cpu()]
                for t in transformed:
                    ft = workers.extract(t[chunk].to(comp.device, dtype))
                    values += [contract_paired(fx, ft, comp.mode)[0].cpu(), contract_paired(ft, ft, comp.mode)[0].cpu()]
                return values

            parts = workers.map(unit, range(0, len(x), FORWARD_CHUNK))
        finally:
            workers.close()
    columns = [torch.cat(column) for column in zip(*parts)]
    return columns[0], [(columns[1 + 2 * i], columns[2 + 2 * i]) for i in range(len(transformed))]


def feature_invariance(model: nn.Module, x: torch.Tensor, *, kind: str = "ntk", outputs: str = "scalar",
                       families=tuple(TRANSFORMS), **kernel_options) -> dict[str, float]:
    """Mean cosine similarity of the ``kind`` features of ``x`` and of its transforms, per family
    (the transforms of a family averaged, as Long's code does). ``kernel_options`` go to
    :func:`paired_with_transforms` (as to ntk.paired)."""
    batches = {family: TRANSFORMS[family](x) for family in families}
    flat = [t for family in families for t in batches[family]]
    self_x, pairs = paired_with_transforms(model, x, flat, kind=kind, outputs=outputs, **kernel_options)
    self_x = self_x.double().numpy()
    out, i = {}, 0
    for family in families:
        values = []
        for _ in batches[family]:
            cross, self_tx = (v.double().numpy() for v in pairs[i])
            values.append(analysis.invariance(cross, self_x, self_tx))
            i += 1
        out[family] = float(np.mean(values))
    return out
