"""Layers of infinitely wide networks: how each maps the covariances of its inputs to those of its
outputs, in the NTK parameterization (neural-tangents' default, so values compare with ``nt.stax``).

A block of sample pairs carries the NNGP Σ(x, x′), the NTK Θ(x, x′) and each sample's variance
Σ(x, x): per pixel while the network works on images (only same-position covariances: a convolution
with independent weights per offset never mixes two positions of a pair), one number after Flatten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F



@dataclass
class Covariances:
    """The kernels of a block of n1 x n2 sample pairs: ``nngp`` and ``ntk`` (n1, n2, *spatial),
    ``ntk`` None when only the NNGP is wanted; ``var1`` (n1, *spatial) and ``var2`` (n2, *spatial)
    the samples' own variances."""

    nngp: torch.Tensor
    ntk: torch.Tensor | None
    var1: torch.Tensor
    var2: torch.Tensor

    @property
    def spatial(self) -> tuple[int, ...]:
        return tuple(self.var1.shape[1:])

    def pair_variances(self) -> tuple[torch.Tensor, torch.Tensor]:
        """var1 and var2 broadcast against the (n1, n2, *spatial) pair tensors."""
        return self.var1.unsqueeze(1), self.var2.unsqueeze(0)


class Layer:
    """One layer: ``takes`` says which inputs it accepts ("vectors", "images" or "any") and
    ``after`` what it hands on; ``refusal`` (a reason) marks a layer no infinite kernel is computed for."""

    takes = "any"
    refusal: str | None = None

    def after(self, inputs: str) -> str:
        return inputs

    def __call__(self, cov: Covariances) -> Covariances:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class _Affine(Layer):
    """Σ ← σ_w²·A(Σ) + σ_b², Θ ← σ_w²·A(Θ) + Σ_new, with A the layer's averaging over its fan-in."""

    def __init__(self, W_std: float, b_std: float):
        for name, value in (("W_std", W_std), ("b_std", b_std)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{type(self).__name__}'s {name} must be a finite number >= 0; got {value!r}")
        self.W_std, self.b_std = float(W_std), float(b_std)

    def average(self, t: torch.Tensor) -> torch.Tensor:
        return t

    def __call__(self, cov: Covariances) -> Covariances:
        w2, b2 = self.W_std**2, self.b_std**2
        nngp = w2 * self.average(cov.nngp) + b2
        ntk = None if cov.ntk is None else w2 * self.average(cov.ntk) + nngp
        return Covariances(nngp, ntk, w2 * self.average(cov.var1) + b2, w2 * self.average(cov.var2) + b2)


class Dense(_Affine):
    """A fully connected layer f = (W_std/√fan_in)·W x + b_std·b of infinite width, on vectors."""

    takes = "vectors"

    def __init__(self, *, W_std: float = 1.0, b_std: float = 0.0):
        super().__init__(W_std, b_std)

    def __repr__(self) -> str:
        return f"Dense(W_std={self.W_std!r}, b_std={self.b_std!r})"


class Conv(_Affine):
    """A 'SAME' convolution with a ``filter_size`` x ``filter_size`` filter, stride 1 and infinitely
    many channels, on images: each pixel's covariance becomes the mean over the filter window
    (zeros beyond the border, as zero padding gives)."""

    takes = "images"

    def __init__(self, filter_size: int, *, W_std: float = 1.0, b_std: float = 0.0):
        if not isinstance(filter_size, int) or filter_size < 1 or filter_size % 2 == 0:
            raise ValueError(
                "Conv's filter_size must be an odd integer >= 1 (a 'SAME' window centred on each pixel); "
                f"got {filter_size!r}"
            )
        super().__init__(W_std, b_std)
        self.filter_size = filter_size

    def average(self, t: torch.Tensor) -> torch.Tensor:
        """The mean of each position's covariance over the filter's window ('SAME': zeros beyond the edge)."""
        k = self.filter_size
        flat = t.reshape(-1, 1, *t.shape[-2:])
        return F.avg_pool2d(flat, k, stride=1, padding=k // 2, count_include_pad=True).view(t.shape)

    def __repr__(self) -> str:
        return f"Conv({self.filter_size}, W_std={self.W_std!r}, b_std={self.b_std!r})"


class Flatten(Layer):
    """Images to vectors: the dense readout after it averages every pixel's covariance."""

    def after(self, inputs: str) -> str:
        """Flattened images are vectors."""
        return "vectors"

    def __call__(self, cov: Covariances) -> Covariances:
        if not cov.spatial:
            return cov
        dims1, dims2 = tuple(range(2, cov.nngp.dim())), tuple(range(1, cov.var1.dim()))
        return Covariances(cov.nngp.mean(dims1), None if cov.ntk is None else cov.ntk.mean(dims1),
                           cov.var1.mean(dims2), cov.var2.mean(dims2))


def _correlation(nngp, v1, v2) -> tuple[torch.Tensor, torch.Tensor]:
    """(√(Σxx Σyy), Σxy / √(Σxx Σyy) clipped to [-1, 1]); a zero-variance sample has correlation 0."""
    norm = torch.sqrt(v1 * v2)
    corr = torch.where(norm > 0, nngp / torch.where(norm > 0, norm, 1.0), 0.0)
    return norm, corr.clamp(-1.0, 1.0)


class Relu(Layer):
    """max(0, x): the arc-cosine kernel of degree 1 for Σ, of degree 0 for the derivative.

    A sample's own variance goes through the pair formula too, so that a pair of identical samples
    keeps Σxy = Σxx exactly: arccos turns a rounding error of 1e-16 near correlation 1 into an
    angle of 1e-8."""

    @staticmethod
    def _step(nngp, v1, v2):
        norm, corr = _correlation(nngp, v1, v2)
        theta = torch.arccos(corr)
        return norm * (torch.sin(theta) + (math.pi - theta) * corr) / (2 * math.pi), theta

    def __call__(self, cov: Covariances) -> Covariances:
        nngp, theta = self._step(cov.nngp, *cov.pair_variances())
        ntk = None if cov.ntk is None else cov.ntk * (math.pi - theta) / (2 * math.pi)
        var1, var2 = (self._step(v, v, v)[0] for v in (cov.var1, cov.var2))
        return Covariances(nngp, ntk, var1, var2)


class Erf(Layer):
    """a·erf(b·x) + c (neural-tangents' ``stax.Erf``), by Williams' arcsine kernel; variances by the
    pair formula, as in :class:`Relu`."""

    def __init__(self, a: float = 1.0, b: float = 1.0, c: float = 0.0):
        self.a, self.b, self.c = float(a), float(b), float(c)

    def _step(self, nngp, v1, v2):
        """The new Σ and (1 + 2b²Σxx)(1 + 2b²Σyy), the derivative's denominator before the cross term."""
        two_b2 = 2 * self.b**2
        denom = (1 + two_b2 * v1) * (1 + two_b2 * v2)
        arg = (two_b2 * nngp / torch.sqrt(denom)).clamp(-1.0, 1.0)
        return 2 * self.a**2 / math.pi * torch.arcsin(arg) + self.c**2, denom

    def __call__(self, cov: Covariances) -> Covariances:
        nngp, denom = self._step(cov.nngp, *cov.pair_variances())
        ntk = None
        if cov.ntk is not None:
            cross = 2 * self.b**2 * cov.nngp
            ntk = cov.ntk * (4 * self.a**2 * self.b**2 / math.pi) / torch.sqrt(denom - cross**2)
        var1, var2 = (self._step(v, v, v)[0] for v in (cov.var1, cov.var2))
        return Covariances(nngp, ntk, var1, var2)

    def __repr__(self) -> str:
        return f"Erf(a={self.a!r}, b={self.b!r}, c={self.c!r})"


class GlobalAvgPool(Layer):
    """Refused: pooling mixes every pair of positions of two samples."""

    refusal = ("GlobalAvgPool needs the full (H·W)² spatial covariance of every sample pair, which this "
               "library does not compute; use Flatten() and a Dense readout instead")


def starting_covariances(x1: torch.Tensor, x2: torch.Tensor, with_ntk: bool, same: bool = False) -> Covariances:
    """The inputs' covariances: Σ = x·x′ / (features), per pixel for images (n, C, H, W) (a mean
    over channels), over all features for vectors (n, d); Θ = 0. ``same``: x1 and x2 are the same
    samples, and Σ's diagonal is set to their variances exactly."""
    if x1.dim() == 4:
        nngp = torch.einsum("ichw,jchw->ijhw", x1, x2) / x1.shape[1]
    else:
        nngp = x1 @ x2.T / x1.shape[1]
    var1, var2 = (x.pow(2).mean(1) for x in (x1, x2))
    if same:
        torch.diagonal(nngp, 0, 0, 1).copy_(var1.movedim(0, -1))
    return Covariances(nngp, torch.zeros_like(nngp) if with_ntk else None, var1, var2)


__all__ = ["Covariances", "Layer", "Dense", "Conv", "Flatten", "Relu", "Erf", "GlobalAvgPool", "starting_covariances"]
