"""Invariance of a network's kernel features to image transforms (Long 2021): for each family of
transforms T, the mean over samples of cos(φ(x), φ(Tx)) = K(x, Tx) / √(K(x, x) K(Tx, Tx)), from
paired kernel values alone (never the m x m matrix, never the features)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import analysis, ntk
from .transforms import TRANSFORMS


def feature_invariance(model: nn.Module, x: torch.Tensor, *, kind: str = "ntk", outputs: str = "scalar",
                       families=tuple(TRANSFORMS), **kernel_options) -> dict[str, float]:
    """Mean cosine similarity of the ``kind`` features of ``x`` and of its transforms, per family
    (the transforms of a family averaged, as Long's code does). ``kernel_options`` go to ntk.paired."""
    self_x = ntk.paired(model, x, x, kind=kind, outputs=outputs, **kernel_options).double().numpy()
    out = {}
    for family in families:
        values = []
        for tx in TRANSFORMS[family](x):
            cross = ntk.paired(model, x, tx, kind=kind, outputs=outputs, **kernel_options).double().numpy()
            self_tx = ntk.paired(model, tx, tx, kind=kind, outputs=outputs, **kernel_options).double().numpy()
            values.append(analysis.invariance(cross, self_x, self_tx))
        out[family] = float(np.mean(values))
    return out
