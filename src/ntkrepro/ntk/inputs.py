"""The inputs of a kernel computation, checked before any work starts: samples one per row, finite,
of a shape the network takes. Each refusal is one line that names the argument (``x1``, ``x2``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

# Samples per pass of the finiteness check: bounds its temporary mask on inputs of any size
FINITE_CHECK_CHUNK = 4096


def as_tensor(x) -> torch.Tensor:
    """Inputs as a tensor: numpy arrays (and anything ``torch.as_tensor`` takes) are converted."""
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


def samples(x, name: str) -> torch.Tensor:
    """``x`` as a tensor of samples (m, *sample shape), refused when it is not one or is not finite."""
    if isinstance(x, Mapping) or (
        isinstance(x, (tuple, list)) and any(isinstance(v, (torch.Tensor, np.ndarray, Mapping)) for v in x)
    ):
        # numpy would stack a tuple of arrays into one array whose rows are the inputs, not samples
        raise TypeError(
            f"{name} is a {type(x).__name__} of {len(x)} inputs: the kernels take one tensor of samples "
            "(m, *sample shape); wrap a model of several inputs or keyword arguments in an nn.Module whose "
            "forward takes one tensor (docs/api.md)"
        )
    x = as_tensor(x)
    if x.dim() < 2:
        raise ValueError(
            f"{name} has shape {tuple(x.shape)}: inputs hold one sample per row, (m, *sample shape); "
            "a single sample goes in as x[None], m scalar inputs as x[:, None]"
        )
    if len(x) == 0:
        raise ValueError(f"{name} has no samples (shape {tuple(x.shape)})")
    if x.is_floating_point() or x.is_complex():
        for start in range(0, len(x), FINITE_CHECK_CHUNK):
            chunk = x[start : start + FINITE_CHECK_CHUNK]
            finite = torch.isfinite(chunk).reshape(len(chunk), -1).all(dim=1)
            if not bool(finite.all()):
                first = start + int((~finite).nonzero()[0, 0])
                raise ValueError(f"{name} has non-finite entries (NaN or Inf), first in sample {first}")
    return x


def same_sample_shape(x1: torch.Tensor, x2: torch.Tensor) -> None:
    if x2.shape[1:] != x1.shape[1:]:
        raise ValueError(f"x2 has samples of shape {tuple(x2.shape[1:])}, x1 of shape {tuple(x1.shape[1:])}")


def check_model_takes(model: nn.Module, probe: torch.Tensor, x: torch.Tensor, name: str) -> None:
    """Run ``model`` on ``probe`` (the first samples of ``x``, on the engine's device and dtype) so that
    inputs it cannot take are refused naming ``name`` and the shape of ``x``, not an internal batch."""
    try:
        with torch.no_grad():
            model(probe)
    except torch.OutOfMemoryError:
        raise
    except (RuntimeError, ValueError, TypeError, IndexError) as e:
        lines = str(e).strip().splitlines()
        why = lines[0] if lines else type(e).__name__
        raise ValueError(f"{name} of shape {tuple(x.shape)}: the model fails on these samples ({why})") from e
