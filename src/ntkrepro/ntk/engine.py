"""Tiled Gram computation: each per-sample gradient computed once per row tile, only the upper
triangle of a symmetric matrix, column tiles cached as far as memory allows and recomputed
beyond that."""

from __future__ import annotations

import contextlib
import copy
import logging
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from ..devices import resolve_device
from ..errors import ResourceError
from . import memory
from .features import Features, FuncFeatures, HookFeatures, Unsupported, contract

log = logging.getLogger(__name__)

# Samples per forward/backward pass when extracting features (bounds activation memory)
FORWARD_CHUNK = 256
# Largest tile edge per device. Smaller tiles skip more of the lower triangle; on a 2-core CPU
# (LeNet, m = 10,000) 1024 was the fastest edge tried. The GPU value is a guess, not measured.
MAX_TILE = {"cpu": 1024, "cuda": 8192}
TILE_MULTIPLE = 256


@contextlib.contextmanager
def tf32(allowed: bool):
    """TF32 matrix units off unless asked for: they silently cut float32 products to 10-bit mantissas."""
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = allowed
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def prepare_model(model: nn.Module, device: torch.device, dtype: torch.dtype) -> nn.Module:
    """A copy in eval mode (BatchNorm uses running statistics, so samples stay independent)."""
    return copy.deepcopy(model).to(device=device, dtype=dtype).eval()


def feature_extractor(model: nn.Module, probe: torch.Tensor, dtype: torch.dtype):
    """The layerwise hook path when it reproduces direct gradients on a probe, else torch.func."""
    try:
        extractor = HookFeatures(model)
        features = extractor(probe)
    except Unsupported as e:
        log.info(f"layerwise path not applicable ({e}); using torch.func per-sample gradients")
        return FuncFeatures(model)
    diag = contract(features, features).diagonal()
    direct = torch.stack([_gradient_sq_norm(model, x) for x in probe])
    tol = 1e-4 if dtype == torch.float32 else 1e-9
    if not torch.allclose(diag, direct, rtol=tol, atol=tol * float(direct.abs().max())):
        log.warning("layerwise path disagrees with autograd on a probe (in-place ops?); using torch.func")
        return FuncFeatures(model)
    return extractor


def _gradient_sq_norm(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    params = [p for p in model.parameters() if p.requires_grad]
    with torch.enable_grad():
        grads = torch.autograd.grad(model(x.unsqueeze(0)).sum(), params, allow_unused=True)
    return sum((g * g).sum() for g in grads if g is not None)


@dataclass
class Tiling:
    """Square tiles of edge ``size`` over an m1 x m2 matrix."""

    m1: int
    m2: int
    size: int
    symmetric: bool

    def edges(self, m: int) -> list[tuple[int, int]]:
        return [(s, min(m, s + self.size)) for s in range(0, m, self.size)]

    @property
    def rows(self):
        return self.edges(self.m1)

    @property
    def cols(self):
        return self.edges(self.m2)

    def tiles(self) -> list[tuple[int, int]]:
        return [
            (i, j) for i in range(len(self.rows)) for j in range(len(self.cols)) if not self.symmetric or j >= i
        ]


def choose_tile(m: int, bytes_per_sample: int, budget: int, requested: int | None, device: torch.device) -> int:
    if requested:
        return min(requested, m)
    # room for a row tile, a column tile and the Gram tile itself
    size = int(budget // (2 * bytes_per_sample + 1))
    size = min(size, MAX_TILE.get(device.type, MAX_TILE["cuda"]))
    if size >= m:
        return m
    if size < 1:
        raise ResourceError(
            f"one sample's Jacobian features take {memory.describe(bytes_per_sample)}, more than the memory "
            f"budget of {memory.describe(budget)} allows; raise kernel.memory_gb or use a larger device"
        )
    return max(1, (size // TILE_MULTIPLE) * TILE_MULTIPLE) if size >= TILE_MULTIPLE else size


class GramComputation:
    """Plans and streams the tiles of Θ(x1, x2) (x2=None: the symmetric Θ(x1, x1))."""

    def __init__(
        self,
        model: nn.Module,
        x1: torch.Tensor,
        x2: torch.Tensor | None = None,
        *,
        block_size: int | None = None,
        device=None,
        dtype: torch.dtype = torch.float32,
        memory_bytes: int | None = None,
    ):
        self.device = resolve_device(device)
        self.dtype = dtype
        self.x1, self.x2 = x1, x2
        self.symmetric = x2 is None
        self.model = prepare_model(model, self.device, dtype)
        probe = x1[: min(2, len(x1))].to(self.device, dtype)
        self.extractor = feature_extractor(self.model, probe, dtype)
        per_sample = self.extractor(probe).nbytes / len(probe)
        self.budget = memory_bytes or memory.default_budget(self.device)
        m2 = len(x1) if self.symmetric else len(x2)
        tile = choose_tile(max(len(x1), m2), int(per_sample), self.budget, block_size, self.device)
        self.tiling = Tiling(len(x1), m2, tile, self.symmetric)
        self.bytes_per_sample = per_sample
        # column tiles kept in memory beyond the current row tile and column tile
        tile_bytes = per_sample * self.tiling.size
        self.cache_tiles = max(0, int(self.budget // max(tile_bytes, 1)) - 2)

    def describe(self) -> str:
        t = self.tiling
        return (
            f"{self.extractor.describe()} on {self.device} ({str(self.dtype).replace('torch.', '')}), "
            f"{t.m1}x{t.m2} in {len(t.tiles())} tiles of {t.size}, "
            f"{self.bytes_per_sample / 1024:.1f} KiB of features per sample, "
            f"{self.cache_tiles} column tiles cached"
        )

    def features(self, x: torch.Tensor) -> Features:
        """Features of ``x``, extracted FORWARD_CHUNK samples at a time into one buffer."""
        first = self.extractor(x[:FORWARD_CHUNK].to(self.device, self.dtype))
        if len(x) <= FORWARD_CHUNK:
            return first
        out = first.empty(len(x))
        out.rows(0, len(first)).copy_(first)
        for s in range(FORWARD_CHUNK, len(x), FORWARD_CHUNK):
            chunk = x[s : s + FORWARD_CHUNK].to(self.device, self.dtype)
            self.extractor(chunk, out=out.rows(s, s + len(chunk)))
        return out

    def tiles(self, skip: set[tuple[int, int]] = frozenset()) -> Iterator[tuple[tuple[int, int], torch.Tensor]]:
        """Yield ((i, j), tile) for every tile not in ``skip``; tiles come back on the CPU."""
        t = self.tiling
        x2 = self.x1 if self.symmetric else self.x2
        todo = [ij for ij in t.tiles() if ij not in skip]
        cache: dict[int, object] = {}
        for i in sorted({i for i, _ in todo}):
            r0, r1 = t.rows[i]
            row = self.features(self.x1[r0:r1])
            if self.symmetric:
                cache = {j: f for j, f in cache.items() if j > i}
            for _, j in (ij for ij in todo if ij[0] == i):
                if self.symmetric and j == i:
                    col = row
                elif j in cache:
                    col = cache[j]
                else:
                    c0, c1 = t.cols[j]
                    col = self.features(x2[c0:c1])
                    if len(cache) < self.cache_tiles:
                        cache[j] = col
                tile = contract(row, col)
                if self.symmetric and j == i:
                    # a GEMM's A Aᵀ is symmetric only up to rounding; the stored matrix is exactly so
                    tile = (tile + tile.T).mul_(0.5)
                yield (i, j), tile.cpu()


def gram(
    model: nn.Module,
    x1: torch.Tensor,
    x2: torch.Tensor | None = None,
    *,
    block_size: int | None = None,
    device=None,
    dtype: torch.dtype = torch.float32,
    allow_tf32: bool = False,
    memory_bytes: int | None = None,
) -> torch.Tensor:
    """The exact empirical NTK Θ(x1, x2) = ⟨∇θf(x1), ∇θf(x2)⟩ of a scalar-output network.

    ``x2=None`` gives the symmetric x1 x x1 matrix (only its upper triangle is computed). The
    network runs in eval mode on ``device`` (default: CUDA when present) in ``dtype``; the result
    is a CPU tensor of that dtype. Gradients are taken with respect to the trainable parameters.
    """
    with tf32(allow_tf32), torch.no_grad():
        comp = GramComputation(
            model, x1, x2, block_size=block_size, device=device, dtype=dtype, memory_bytes=memory_bytes
        )
        t = comp.tiling
        out = torch.empty(t.m1, t.m2, dtype=dtype)
        for (i, j), tile in comp.tiles():
            (r0, r1), (c0, c1) = t.rows[i], t.cols[j]
            out[r0:r1, c0:c1] = tile
            if t.symmetric and i != j:
                out[c0:c1, r0:r1] = tile.T
    return out


def gram_flops(comp: GramComputation) -> float:
    """Floating-point operations of the tile contractions alone (the floor the method sets)."""
    t = comp.tiling
    pairs = t.m1 * t.m2 if not t.symmetric else t.m1 * (t.m1 + 1) / 2
    ext = comp.extractor
    if isinstance(ext, HookFeatures):
        return pairs * sum(ext.costs.values())
    return pairs * 2.0 * comp.bytes_per_sample / comp.x1.new_empty((), dtype=comp.dtype).element_size()


