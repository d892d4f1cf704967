"""A composition of layers and its kernel function, computed tile by tile over sample pairs."""

from __future__ import annotations

import logging

import torch

from .. import memory
from ..devices import resolve_device
from ..errors import ResourceError, UnsupportedNetwork
from ..ntk.engine import as_tensor
from ..progress import Progress
from .layers import Flatten, Layer, starting_covariances

log = logging.getLogger(__name__)

KERNELS = ("nngp", "ntk")
# float64 tensors of a pair block alive at once in the widest step (Relu's: Σ, Θ, the norms, the
# correlation, the angle, its sine and the new Σ and Θ), per sample pair and pixel
PAIR_TENSORS = 10
ITEMSIZE = 8
# Largest pair tensor of a CPU tile: the elementwise steps are memory bound. On the 2-core machine
# (loaded by other work, so to within tens of percent) a CNN on 14 x 14 images ran 3.6x faster per
# pair in tiles of 64 samples (6 MiB tensors) than of 256 (98 MiB), on 8 x 8 images 2.7x faster in
# tiles of 25 (0.3 MiB) than of 90 (4 MiB); an MLP 2.8x faster in tiles of 1024 than of 2048
CPU_TILE_BYTES = 2**20


class Network:
    """The kernel function of an infinitely wide network built by :func:`serial`:
    ``network(x1, x2=None, get="ntk")``."""

    def __init__(self, layers: list[Layer]):
        self.layers = layers

    def __repr__(self) -> str:
        return f"serial({', '.join(map(repr, self.layers))})"

    def _check(self, x1: torch.Tensor, x2: torch.Tensor | None) -> None:
        """One line naming the argument or the layer for inputs this network cannot take."""
        if x1.dim() not in (2, 4):
            raise ValueError(f"x1 must be vectors (n, d) or images (n, C, H, W); got shape {tuple(x1.shape)}")
        if x2 is not None and x2.shape[1:] != x1.shape[1:]:
            raise ValueError(f"x2's samples have shape {tuple(x2.shape[1:])} but x1's have {tuple(x1.shape[1:])}")
        inputs = "images" if x1.dim() == 4 else "vectors"
        for position, layer in enumerate(self.layers, 1):
            if layer.takes not in ("any", inputs):
                fix = ("put Flatten() before it" if inputs == "images"
                       else "convolutions need images (n, C, H, W) and must come before Flatten()")
                raise ValueError(f"layer {position} ({layer!r}) takes {layer.takes} but receives {inputs}; {fix}")
            inputs = layer.after(inputs)
        if inputs == "images":
            raise ValueError("the network ends on images; end it with Flatten() (and a Dense readout) for an "
                             "(n1, n2) kernel")

    def block(self, x1: torch.Tensor, x2: torch.Tensor, with_ntk: bool, same: bool = False):
        """The NNGP and NTK (None unless ``with_ntk``) of the pairs of two blocks of samples
        (``same``: the same samples)."""
        cov = starting_covariances(x1, x2, with_ntk, same)
        for layer in self.layers:
            cov = layer(cov)
        return cov.nngp, cov.ntk

    def __call__(self, x1, x2=None, get: str | tuple[str, ...] = "ntk", *, device=None, memory_bytes: int | None = None,
                 block_size: int | None = None):
        """The infinite-width kernels K(x1, x2) named by ``get``: "ntk", "nngp", or a tuple of them
        (then a tuple of kernels in that order). Shape (m1, m2), float64, on the CPU.

        ``x1`` (m1, d) or (m1, C, H, W) and ``x2`` (m2, same shape) are torch tensors or numpy
        arrays; ``x2=None`` (or x2 equal to x1) gives the symmetric x1 x x1 kernel (only its upper
        triangle of tiles is computed, the rest mirrored, so it is exactly symmetric). The work runs
        on ``device`` (default: CUDA when present) in tiles of sample pairs whose temporaries fit in
        ``memory_bytes`` (default a quarter of the memory available there), or of ``block_size``
        samples a side; calls of more than one tile log their progress.
        """
        names = (get,) if isinstance(get, str) else tuple(get)
        if not names or any(name not in KERNELS for name in names):
            raise ValueError(f"get must be 'nngp', 'ntk' or a tuple of them; got {get!r}")
        x1 = as_tensor(x1)
        x2 = None if x2 is None else as_tensor(x2)
        self._check(x1, x2)
        if x1.dim() == 4 and isinstance(self.layers[0], Flatten):
            # a leading Flatten averages per-pixel input covariances, which is x·x'/d of the flat
            # vectors: the same kernel without the (m1, m2, H, W) temporaries
            x1, x2 = x1.flatten(1), None if x2 is None else x2.flatten(1)
        device = resolve_device(device)
        symmetric = x2 is None or (x2.shape == x1.shape and torch.equal(x2, x1))
        x2 = x1 if symmetric else x2
        m1, m2 = len(x1), len(x2)
        memory.require(len(names) * m1 * m2 * ITEMSIZE, torch.device("cpu"), "the infinite kernel",
                       "use fewer samples")
        pixels = x1.shape[2] * x1.shape[3] if x1.dim() == 4 else 1
        edge = tile_edge(max(m1, m2, 1), pixels, memory_bytes or memory.default_budget(device), block_size,
                         cap_bytes=CPU_TILE_BYTES if device.type == "cpu" else None)
        out = {name: torch.empty(m1, m2, dtype=torch.float64) for name in names}
        rows = [(s, min(m1, s + edge)) for s in range(0, m1, edge)]
        cols = [(s, min(m2, s + edge)) for s in range(0, m2, edge)]
        tiles = [(i, j) for i in range(len(rows)) for j in range(len(cols)) if not symmetric or j >= i]
        progress = Progress(len(tiles), "infinite kernel tiles", log)
        with torch.no_grad():
            for done, (i, j) in enumerate(tiles, 1):
                (r0, r1), (c0, c1) = rows[i], cols[j]
                a = x1[r0:r1].to(device, torch.float64)
                b = x2[c0:c1].to(device, torch.float64)
                nngp, ntk = self.block(a, b, with_ntk="ntk" in names, same=symmetric and i == j)
                for name, k in (("nngp", nngp), ("ntk", ntk)):
                    if name not in out:
                        continue
                    k = k.cpu()
                    if symmetric and i == j:
                        k = k.triu() + k.triu(1).T
                    out[name][r0:r1, c0:c1] = k
                    if symmetric and i != j:
                        out[name][c0:c1, r0:r1] = k.T
                if len(tiles) > 1:
                    progress.update(done)
        kernels = tuple(out[name] for name in names)
        return kernels[0] if isinstance(get, str) else kernels


def tile_edge(m: int, pixels: int, budget: int, requested: int | None, cap_bytes: int | None = None) -> int:
    """Samples per tile side: the pair temporaries of one tile (PAIR_TENSORS per pixel) fit in
    ``budget``, and one pair tensor in ``cap_bytes``."""
    if requested:
        return min(requested, m)
    per_pair = PAIR_TENSORS * pixels * ITEMSIZE
    edge = int((budget / per_pair) ** 0.5)
    if edge < 1:
        raise ResourceError(f"one sample pair's covariances take {memory.describe(per_pair)}, more than the memory "
                            f"budget of {memory.describe(budget)}; raise memory_bytes")
    if cap_bytes is not None:
        edge = min(edge, max(1, int((cap_bytes / (pixels * ITEMSIZE)) ** 0.5)))
    return min(edge, m)


def serial(*layers) -> Network:
    """Compose layers (or other :func:`serial` networks) into an infinitely wide network, as
    neural-tangents' ``stax.serial``; returns its kernel function."""
    flat: list[Layer] = []
    for position, layer in enumerate(layers, 1):
        if isinstance(layer, Network):
            flat.extend(layer.layers)
        elif isinstance(layer, Layer):
            flat.append(layer)
        else:
            raise ValueError(f"serial's argument {position} is not a layer (Dense(), Conv(3), Relu(), ...): {layer!r}")
    for layer in flat:
        if layer.refusal:
            raise UnsupportedNetwork(layer.refusal)
    if not flat:
        raise ValueError("serial needs at least one layer")
    return Network(flat)
