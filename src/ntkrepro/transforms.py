"""The image transforms of Long's invariance measures, on N x C x H x W tensors, zero fill.

Each matches Long's TensorFlow code (google-research ``after_kernel``):
- ``shift``: ``tfa.image.translate`` by whole pixels (exact, by slicing).
- ``rotate``: ``tfa.image.rotate`` (radians, counter-clockwise as displayed, nearest, zero fill)
  through torchvision's ``rotate`` (degrees, counter-clockwise, about the image centre). Nearest
  neighbour ties (source points exactly half-way between pixels) may round differently.
- ``zoom``: ``tf.image.central_crop(x, 13/14)`` then ``tf.image.resize`` (bilinear) back; for 28 and
  32 pixels the crop removes ⌊(H − 13H/14)/2⌋ = 1 pixel per side. TF2's resize uses half-pixel
  centres without antialiasing when enlarging, as ``F.interpolate(align_corners=False)`` does.
- ``swap_quadrants``: exchange the upper-left and lower-right quadrants.
``TRANSFORMS`` lists the four families as Long averages them.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF


def shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Content moved ``dx`` pixels right and ``dy`` pixels down (negative: left, up), zeros shifted in.

    ``tfa.image.translate(x, [dx, dy])`` on NHWC images; Long's "right" shift [0, 1] is in fact
    1 px down and "down" [1, 0] is 1 px right (both are averaged, so the family is the same).
    """
    if dx != int(dx) or dy != int(dy):
        raise ValueError(f"shifts are whole pixels, got dx={dx}, dy={dy}")
    dx, dy = int(dx), int(dy)
    H, W = x.shape[-2:]
    out = torch.zeros_like(x)
    if abs(dx) >= W or abs(dy) >= H:
        return out
    out[..., max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = x[
        ..., max(-dy, 0) : H + min(-dy, 0), max(-dx, 0) : W + min(-dx, 0)
    ]
    return out


def rotate(x: torch.Tensor, radians: float) -> torch.Tensor:
    """Rotated counter-clockwise (as displayed, row 0 at the top) by ``radians`` about the image
    centre ((W−1)/2, (H−1)/2); nearest neighbour, zeros where the source falls outside."""
    return TF.rotate(x, math.degrees(radians), interpolation=InterpolationMode.NEAREST, fill=0.0)


def zoom(x: torch.Tensor, border: int = 1) -> torch.Tensor:
    """A ``border``-pixel frame cropped away, the rest resized back to H x W bilinearly (half-pixel
    centres, no antialiasing): a zoom in by H / (H − 2·border)."""
    H, W = x.shape[-2:]
    if not 0 < 2 * border < min(H, W):
        raise ValueError(f"cannot crop a {border}-pixel border from a {H}x{W} image")
    inner = x[..., border : H - border, border : W - border]
    return F.interpolate(inner, size=(H, W), mode="bilinear", align_corners=False, antialias=False)


def swap_quadrants(x: torch.Tensor) -> torch.Tensor:
    """The upper-left and lower-right quadrants exchanged ([:s, :s] ↔ [s:, s:], s = size / 2)."""
    H, W = x.shape[-2:]
    if H % 2 or W % 2:
        raise ValueError(f"quadrants of a {H}x{W} image differ in size; the swap needs even sides")
    h, w = H // 2, W // 2
    out = x.clone()
    out[..., :h, :w], out[..., h:, w:] = x[..., h:, w:], x[..., :h, :w]
    return out


def _shifts(x: torch.Tensor) -> list[torch.Tensor]:
    return [shift(x, 1, 0), shift(x, 0, 1)]


def _rotations(x: torch.Tensor) -> list[torch.Tensor]:
    return [rotate(x, 0.25), rotate(x, -0.25)]


def _zooms(x: torch.Tensor) -> list[torch.Tensor]:
    return [zoom(x, 1)]


def _swaps(x: torch.Tensor) -> list[torch.Tensor]:
    return [swap_quadrants(x)]


# Long's four invariance families: each gives the transformed batches whose invariances are averaged
TRANSFORMS: dict[str, Callable[[torch.Tensor], list[torch.Tensor]]] = {
    "shift": _shifts,  # 1 px right, 1 px down
    "rotation": _rotations,  # ±0.25 rad (±14.3°)
    "zoom": _zooms,  # 1-pixel border cropped, resized back
    "swap": _swaps,  # upper-left ↔ lower-right quadrant
}
