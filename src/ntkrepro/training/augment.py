"""Data augmentation applied to each mini-batch, drawn from a generator the loop seeds per step (so a
resumed run sees the augmentations the killed one would have seen)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def shift_rotate(x: torch.Tensor, generator: torch.Generator, *, degrees: float, pixels: float) -> torch.Tensor:
    """Each image rotated by an angle uniform in ±``degrees`` and shifted by amounts uniform in ±``pixels``
    along each axis, with bilinear interpolation and the nearest edge pixel filling the border: Keras'
    ImageDataGenerator(rotation_range, width_shift_range, height_shift_range) with its defaults
    (fill_mode="nearest", order-1 interpolation), which Long's code uses."""
    n, _, h, w = x.shape
    angle = (torch.rand(n, generator=generator, dtype=torch.float64) * 2 - 1) * math.radians(degrees)
    shift = (torch.rand(n, 2, generator=generator, dtype=torch.float64) * 2 - 1) * pixels
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3, dtype=torch.float64)
    # affine_grid maps output to input coordinates in [-1, 1] per axis: rescale for non-square images
    theta[:, 0, 0], theta[:, 0, 1] = cos, -sin * h / w
    theta[:, 1, 0], theta[:, 1, 1] = sin * w / h, cos
    theta[:, 0, 2], theta[:, 1, 2] = 2 * shift[:, 0] / w, 2 * shift[:, 1] / h
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
