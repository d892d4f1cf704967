"""Tiled kernel computation: each sample's features computed once per row tile, only the upper
triangle of a symmetric matrix, column tiles cached as far as memory allows and recomputed beyond
that; and the public functions built on it.

Work is cut into units whose boundaries depend on the tiling alone (chunks of FORWARD_CHUNK
samples from a tile's start, row blocks of BLOCK_ROWS samples), run by :class:`.parallel.Workers`,
so that the bits of a result do not depend on how many workers ran it or how loaded the machine was.
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from ..devices import resolve_device
from ..errors import ResourceError
from .. import memory, progress as progress_bars
from .featuremaps import FeatureMap
from .features import Features, contract, contract_paired
from .inputs import as_tensor, check_model_takes, same_sample_shape, samples
from .implementation import as_names, jacobian_features, parameter_groups, restrict
from .layerwise import LayerwiseJacobian, parameter_layers
from .parallel import Workers

OUTPUTS = ("scalar", "full", "trace")
# Samples per forward/backward pass when extracting features (bounds activation memory; the unit
# of parallel feature extraction)
FORWARD_CHUNK = 128
# Row samples per unit of parallel contraction of a tile
BLOCK_ROWS = 128
# Largest tile edge, in samples, per device; on a 2-core CPU (LeNet, m = 10,000) 1024 was the
# fastest edge tried. The GPU value is a guess, not measured.
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


def parameter_dtype(model: nn.Module | None) -> torch.dtype:
    """The dtype kernels of ``model`` are computed in unless one is asked for: its parameters', as
    neural-tangents and torch.func follow them (float32 without a model or floating parameters)."""
    floating = [p.dtype for p in (model.parameters() if model is not None else ()) if p.is_floating_point()]
    return floating[0] if floating else torch.float32


def prepare_model(model: nn.Module, device: torch.device, dtype: torch.dtype) -> nn.Module:
    """A copy in eval mode (BatchNorm uses running statistics, so samples stay independent)."""
    return copy.deepcopy(model).to(device=device, dtype=dtype).eval()


@dataclass
class Tiling:
    """Square tiles of edge ``size`` (samples) over an m1 x m2 matrix."""

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


def choose_tile(m: int, bytes_per_sample: int, bytes_per_entry: int, budget: int, requested: int | None,
                device: torch.device) -> int:
    """Tile edge in samples: a row tile, a column tile and about three kernel blocks (the tile and
    the contraction's intermediates) fit in ``budget``."""
    if requested:
        return min(requested, m)
    per_edge = 2 * bytes_per_sample
    block = 3 * bytes_per_entry  # per (row sample, column sample)
    size = int((-per_edge + (per_edge**2 + 4 * block * budget) ** 0.5) / (2 * block))
    size = min(size, MAX_TILE.get(device.type, MAX_TILE["cuda"]))
    if size >= m:
        return m
    if size < 1:
        smallest = per_edge + block
        raise ResourceError(
            f"the smallest tile (one row and one column sample, {memory.describe(bytes_per_sample)} of features "
            f"each, and its kernel entry) needs {memory.describe(smallest)}, more than the memory budget of "
            f"{memory.describe(budget)} (memory_bytes=) allows; pass a larger memory_bytes= or use a device with "
            "more memory"
        )
    return (size // TILE_MULTIPLE) * TILE_MULTIPLE if size >= TILE_MULTIPLE else size


class GramComputation:
    """Plans and streams the tiles of a kernel K(x1, x2) (x2=None: the symmetric K(x1, x1)).

    ``kind`` "ntk" (with ``outputs``, ``parameters``, ``groups`` and ``implementation`` as in
    :func:`kernel`) or a feature kernel: "conjugate", "input", "output", "nngp", "module:<name>".
    ``groups`` (module-name prefixes) splits the NTK into one kernel per group.
    """

    def __init__(
        self,
        model: nn.Module | None,
        x1,
        x2=None,
        *,
        kind: str = "ntk",
        outputs: str = "scalar",
        parameters: list[str] | None = None,
        groups: list[str] | None = None,
        implementation: str = "auto",
        block_size: int | None = None,
        device=None,
        dtype: torch.dtype | None = None,
        memory_bytes: int | None = None,
    ):
        if outputs not in OUTPUTS:
            raise ValueError(f"unknown outputs {outputs!r} ({' | '.join(OUTPUTS)})")
        self.device = resolve_device(device)
        self.dtype = dtype = parameter_dtype(model) if dtype is None else dtype
        parameters, groups = as_names(parameters, "parameters"), as_names(groups, "groups")
        self.x1 = samples(x1, "x1")
        self.x2 = None if x2 is None else samples(x2, "x2")
        if self.x2 is not None:
            same_sample_shape(self.x1, self.x2)
        self.symmetric = x2 is None
        self.kind, self.outputs = kind, outputs
        self.mode = "full" if outputs == "full" else "trace"
        self.model = None if model is None else prepare_model(model, self.device, dtype)
        probe = self.x1[: min(2, len(self.x1))].to(self.device, dtype)
        if self.model is not None:
            check_model_takes(self.model, probe, self.x1, "x1")
        self.extractor = self._extractor(kind, parameters, groups, implementation, probe)
        first = self.extractor(probe)
        self.n_outputs = first.n_outputs
        if outputs == "scalar" and self.n_outputs != 1:
            raise ValueError(
                f"outputs='scalar' needs a scalar-output network; this one has {self.n_outputs} outputs "
                "(use outputs='full' or outputs='trace')"
            )
        self.n_groups = first.n_groups
        self.bytes_per_sample = first.nbytes / len(probe)
        self.budget = memory_bytes or memory.default_budget(self.device)
        rows = self.n_outputs if self.mode == "full" else 1
        m2 = len(self.x1) if self.symmetric else len(self.x2)
        entry_bytes = rows * rows * self.n_groups * torch.empty((), dtype=dtype).element_size()
        tile = choose_tile(max(len(self.x1), m2), int(self.bytes_per_sample), entry_bytes, self.budget, block_size,
                           self.device)
        self.tiling = Tiling(len(self.x1), m2, tile, self.symmetric)
        # column tiles kept in memory beyond the current row tile and column tile
        tile_bytes = self.bytes_per_sample * self.tiling.size
        self.cache_tiles = max(0, int(self.budget // max(tile_bytes, 1)) - 2)

    def _extractor(self, kind, parameters, groups, implementation, probe):
        if kind != "ntk":
            if self.outputs != "scalar" or parameters is not None or groups is not None:
                raise ValueError(f"the {kind!r} kernel is a plain feature Gram matrix: outputs, parameters and "
                                 "groups apply to kind='ntk' only")
            return FeatureMap(self.model, kind)
        if self.model is None:
            raise ValueError("the NTK needs a model")
        restrict(self.model, groups if groups is not None else parameters)
        param_group = parameter_groups(self.model, groups) if groups is not None else None
        return jacobian_features(self.model, probe, self.mode, implementation, param_group,
                                 len(groups) if groups is not None else 1)

    @property
    def pair_flops(self) -> float:
        """FLOPs of one kernel entry's contraction (the floor the method sets)."""
        ext = self.extractor
        if isinstance(ext, LayerwiseJacobian):
            return ext.pair_flops()
        if isinstance(ext, FeatureMap):
            return 2.0 * self.bytes_per_sample / torch.empty((), dtype=self.dtype).element_size()
        return ext.pair_flops(self.n_outputs, self.mode)

    def entries(self) -> int:
        """Kernel entries (sample pairs) the tiles contract: whole off-diagonal tiles, the upper
        triangle (by row blocks of BLOCK_ROWS) of diagonal ones."""
        t, total = self.tiling, 0
        for i, j in t.tiles():
            (r0, r1), (c0, c1) = t.rows[i], t.cols[j]
            if self.symmetric and i == j:
                n = r1 - r0
                total += sum((min(n, a + BLOCK_ROWS) - a) * (n - a) for a in range(0, n, BLOCK_ROWS))
            else:
                total += (r1 - r0) * (c1 - c0)
        return total

    def describe(self) -> str:
        """One line for logs and the file's ``method`` entry: kernel, engine, device, dtype and tiling."""
        t = self.tiling
        what = self.kind if self.kind != "ntk" else f"ntk ({self.outputs}, {self.extractor.describe()})"
        return (
            f"{what} on {self.device} ({str(self.dtype).replace('torch.', '')}), "
            f"{t.m1}x{t.m2} in {len(t.tiles())} tiles of {t.size}, "
            f"{self.bytes_per_sample / 1024:.1f} KiB of features per sample, "
            f"{self.cache_tiles} column tiles cached"
        )

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the whole kernel (of each group's kernel)."""
        t = self.tiling
        return (t.m1, t.m2) if self.mode == "trace" else (t.m1, t.m2, self.n_outputs, self.n_outputs)

    def workers(self) -> Workers:
        """Workers for one computation (on GPUs one, in the calling thread); close them after."""
        return Workers(torch.get_num_threads() if self.device.type == "cpu" else 1, self.extractor)

    def features(self, x: torch.Tensor, workers: Workers, done=None) -> Features:
        """Features of ``x``, extracted FORWARD_CHUNK samples at a time into one buffer; ``done()``
        is called as each chunk is extracted."""
        starts = range(0, len(x), FORWARD_CHUNK)

        def extract(s, out=None):
            features = workers.extract(x[s : s + FORWARD_CHUNK].to(self.device, self.dtype), out)
            if done is not None:
                done()
            return features

        (first,) = workers.map(extract, starts[:1])
        if len(x) <= FORWARD_CHUNK:
            return first
        out = first.empty(len(x))
        out.rows(0, len(first)).copy_(first)
        workers.map(lambda s: extract(s, out.rows(s, min(len(x), s + FORWARD_CHUNK))), starts[1:])
        return out

    def contract_tile(self, row: Features, col: Features, diagonal: bool, workers: Workers,
                      done=None) -> list[torch.Tensor]:
        """The kernel blocks K(row, col), one per group, in the public layout ((r, c) or
        (r, c, C, C)); ``diagonal``: row and col are the same samples, and only the upper
        triangle is computed (the lower one is its mirror image, exactly). ``done()`` is called as
        each row block is contracted."""
        n_out = self.n_outputs
        shape = (len(row), len(col)) + ((n_out, n_out) if self.mode == "full" else ())
        out = [torch.empty(shape, dtype=self.dtype, device=self.device) for _ in range(self.n_groups)]
        starts = range(0, len(row), BLOCK_ROWS)

        def block(a):
            b, c = min(len(row), a + BLOCK_ROWS), a if diagonal else 0
            for whole, part in zip(out, contract(row.rows(a, b), col.rows(c, len(col)), self.mode)):
                if self.mode == "full":  # sample-major (i·C + c, j·C + c') -> (i, j, c, c')
                    part = part.view(b - a, n_out, len(col) - c, n_out).permute(0, 2, 1, 3)
                whole[a:b, c:] = part
            if done is not None:
                done()

        workers.map(block, starts)
        if diagonal:
            for whole in out:
                mirror_upper(whole, list(starts))
        return out

    def tiles(self, skip=frozenset(), step=None) -> Iterator[tuple[tuple[int, int], list[torch.Tensor]]]:
        """Yield ((i, j), blocks) for every tile not in ``skip``: one block per group, on the CPU,
        in the public layout. ``step(share)`` is called as each feature chunk and each row block
        of a tile is done, with its share of the tile's work (a tile's shares sum to 1; the row
        features count in the first tile of their row)."""
        t = self.tiling
        x2 = self.x1 if self.symmetric else self.x2
        todo = [ij for ij in t.tiles() if ij not in skip]
        cache: dict[int, Features] = {}
        workers = self.workers()

        def chunks(n: int) -> int:
            return -(-n // FORWARD_CHUNK)

        try:
            for i in sorted({i for i, _ in todo}):
                r0, r1 = t.rows[i]
                if self.symmetric:
                    cache = {j: f for j, f in cache.items() if j > i}
                for n, j in enumerate(j for ii, j in todo if ii == i):
                    c0, c1 = t.cols[j]
                    diagonal = self.symmetric and j == i
                    fresh = not diagonal and j not in cache
                    parts = (chunks(r1 - r0) if n == 0 else 0) + (chunks(c1 - c0) if fresh else 0)
                    parts += -(-(r1 - r0) // BLOCK_ROWS)
                    done = None if step is None else lambda share=1 / parts: step(share)
                    if n == 0:
                        row = self.features(self.x1[r0:r1], workers, done)
                    if diagonal:
                        col = row
                    elif not fresh:
                        col = cache[j]
                    else:
                        col = self.features(x2[c0:c1], workers, done)
                        if len(cache) < self.cache_tiles:
                            cache[j] = col
                    yield (i, j), [block.cpu() for block in self.contract_tile(row, col, diagonal, workers, done)]
        finally:
            workers.close()

    def assemble(self, progress: bool | None = False) -> list[torch.Tensor]:
        """Every group's whole kernel, in memory (CPU); ``progress``: a bar of the tiles' work,
        features and contractions (:func:`ntkrepro.progress.bar`)."""
        t = self.tiling
        itemsize = torch.empty((), dtype=self.dtype).element_size()
        groups = f" of each of {self.n_groups} parameter groups" if self.n_groups > 1 else ""
        memory.require(self.n_groups * math.prod(self.shape) * itemsize, torch.device("cpu"),
                       f"the {'x'.join(map(str, self.shape))} kernel{groups}",
                       "ntkrepro.ntk.write_gram(model, x, path) streams it to an HDF5 file tile by tile")
        out = [torch.empty(self.shape, dtype=self.dtype) for _ in range(self.n_groups)]
        n_tiles = len(t.tiles())
        lock = threading.Lock()  # chunks and row blocks finish in several worker threads
        with progress_bars.bar(n_tiles, f"{self.kind} {t.m1}x{t.m2}", progress, f"0/{n_tiles} tiles") as bar:
            def step(share: float) -> None:
                with lock:
                    bar.update(share)

            for finished, ((i, j), blocks) in enumerate(self.tiles(step=step), 1):
                (r0, r1), (c0, c1) = t.rows[i], t.cols[j]
                for whole, block in zip(out, blocks):
                    whole[r0:r1, c0:c1] = block
                    if t.symmetric and i != j:
                        whole[c0:c1, r0:r1] = mirrored(block)
                bar.set_postfix_str(f"{finished}/{n_tiles} tiles", refresh=False)
                bar.update(finished - bar.n)  # whole tiles, whatever the rounding of the shares
        return out


def mirror_upper(k: torch.Tensor, starts: list[int]) -> None:
    """Make the square kernel block ``k`` ((n, n) or (n, n, C, C)) exactly symmetric from its upper
    triangle, in place: the row blocks starting at ``starts`` hold valid entries from their own
    start column on."""
    edges = list(zip(starts, starts[1:] + [len(k)]))
    for p, (a, b) in enumerate(edges):
        square = k[a:b, a:b]
        if k.dim() == 2:
            square.copy_(square.triu() + square.triu(1).T)
        else:  # symmetric as the sample-major (n·C, n·C) matrix
            n, c = b - a, k.shape[2]
            flat = square.permute(0, 2, 1, 3).reshape(n * c, n * c)
            square.copy_((flat.triu() + flat.triu(1).T).view(n, c, n, c).permute(0, 2, 1, 3))
        for c0, c1 in edges[p + 1 :]:
            k[c0:c1, a:b] = mirrored(k[a:b, c0:c1])


def mirrored(block: torch.Tensor) -> torch.Tensor:
    """The block at the transposed position of a symmetric kernel: K(x2, x1) = K(x1, x2)ᵀ, with the
    output pair swapped too for (r, c, C, C) blocks."""
    return block.T if block.dim() == 2 else block.permute(1, 0, 3, 2)


def sample_major(k):
    """A full kernel (m1, m2, C, C) as the (m1·C, m2·C) matrix whose row i·C + c is (x_i, output c),
    as eigendecompositions and kernel regression with vector targets need it (torch or numpy)."""
    if k.ndim != 4:
        raise ValueError(f"sample_major needs a (m1, m2, C, C) kernel; got shape {tuple(k.shape)}")
    m1, m2, c, c2 = k.shape
    moved = k.permute(0, 2, 1, 3) if isinstance(k, torch.Tensor) else k.transpose(0, 2, 1, 3)
    return moved.reshape(m1 * c, m2 * c2)




def kernel(
    model: nn.Module | None,
    x1,
    x2=None,
    *,
    kind: str = "ntk",
    outputs: str = "scalar",
    parameters: list[str] | None = None,
    implementation: str = "auto",
    block_size: int | None = None,
    device=None,
    dtype: torch.dtype | None = None,
    allow_tf32: bool = False,
    memory_bytes: int | None = None,
    progress: bool | None = None,
) -> torch.Tensor:
    """The kernel matrix K(x1, x2) of ``kind``:

    * ``"ntk"``: the empirical NTK Θ = ⟨∇θf(x1), ∇θf(x2)⟩ with respect to the trainable
      parameters (see :func:`gram` for ``outputs``, ``parameters`` and ``implementation``);
    * ``"conjugate"``: φ·φ′ of the input of the last ``nn.Linear`` called (flattened);
    * ``"module:<name>"``: φ·φ′ of the named module's output (flattened);
    * ``"input"``: x·x′ of the flattened inputs (``model`` may be None; on one-hot targets
      (m, C) it is the target kernel);
    * ``"output"``: f(x)·f(x′) of the network outputs, the sum over them (C times
      neural-tangents' empirical NNGP);
    * ``"nngp"``: the mean over the C outputs, f(x)·f(x′) / C: neural-tangents'
      ``empirical_nngp_fn`` (default ``trace_axes=(-1,)``).

    Feature kernels are sums over the feature entries, never means (see :mod:`ntkrepro.ntk`).

    Shape (m1, m2), or (m1, m2, C, C) for ``kind="ntk", outputs="full"``.

    Inputs ``x1`` (m1, ...) and ``x2`` (m2, ...) are torch tensors or numpy arrays (converted);
    ``x2=None`` gives the symmetric x1 x x1 kernel, of which only the upper triangle is computed.
    The network runs as an eval-mode copy on ``device`` (default: CUDA when present) in ``dtype``
    (default None: the dtype of the model's parameters, as in neural-tangents and torch.func;
    float32 without a model); the model passed is not changed, inputs are cast to that dtype and
    results are CPU tensors of it. ``block_size`` (samples per tile) and ``memory_bytes`` (budget
    for features and tiles; default a quarter of the memory available) bound the memory used; a
    kernel that does not fit in memory is refused before any work (:func:`~ntkrepro.ntk.write_gram`
    streams it to disk). ``allow_tf32`` allows TF32 products on GPUs. ``progress``: a tqdm bar on
    stderr of the work done (features and contractions, tile by tile); None (default) shows it in
    a terminal or notebook once a call has run 2 s, True always, False never.

    Inputs are checked first: ``x1`` and ``x2`` hold one sample per row (a 1-D input is refused,
    not read as m samples), of one sample shape that the model takes, with finite entries; each
    refusal is a ValueError naming the argument.
    """
    with tf32(allow_tf32), torch.no_grad():
        comp = GramComputation(model, x1, x2, kind=kind, outputs=outputs, parameters=parameters,
                               implementation=implementation, block_size=block_size, device=device, dtype=dtype,
                               memory_bytes=memory_bytes)
        return comp.assemble(progress)[0]


def gram(
    model: nn.Module,
    x1,
    x2=None,
    *,
    outputs: str = "scalar",
    parameters: list[str] | None = None,
    implementation: str = "auto",
    block_size: int | None = None,
    device=None,
    dtype: torch.dtype | None = None,
    allow_tf32: bool = False,
    memory_bytes: int | None = None,
    progress: bool | None = None,
) -> torch.Tensor:
    """The exact empirical NTK Θ(x1, x2) = ⟨∇θf(x1), ∇θf(x2)⟩.

    ``outputs``:

    * ``"scalar"``: the network has one output; shape (m1, m2);
    * ``"full"``: Θ_cc′(x_i, x_j) for all outputs c, c′; shape (m1, m2, C, C), the layout of
      neural-tangents' ``trace_axes=()`` (:func:`sample_major` turns it into an (m1·C, m2·C) matrix);
    * ``"trace"``: the mean over outputs of Θ_cc, shape (m1, m2) (neural-tangents' ``trace_axes=(-1,)``).

    ``parameters``: module- or parameter-name prefixes (e.g. ``["classifier.4"]``; one string is
    one name: ``"classifier.4"`` is ``["classifier.4"]``); the kernel of those parameters alone
    (default: all trainable parameters). :func:`gram_by_layer` gives several groups' kernels in one
    pass.

    ``implementation``: ``"auto"`` (layerwise; falls back to torch.func with a WARNING naming the
    layer and the expected slowdown), ``"layerwise"`` (strict: raises
    :class:`~ntkrepro.errors.UnsupportedNetwork` naming the layer instead of falling back) or
    ``"torch.func"``.

    Inputs (torch tensors or numpy arrays), ``x2=None``, device, dtype, memory, progress and the CPU
    result: as in :func:`kernel`.
    """
    return kernel(model, x1, x2, kind="ntk", outputs=outputs, parameters=parameters, implementation=implementation,
                  block_size=block_size, device=device, dtype=dtype, allow_tf32=allow_tf32, memory_bytes=memory_bytes,
                  progress=progress)


def gram_by_layer(
    model: nn.Module,
    x1,
    x2=None,
    *,
    layers: list[str] | None = None,
    outputs: str = "scalar",
    implementation: str = "auto",
    block_size: int | None = None,
    device=None,
    dtype: torch.dtype | None = None,
    allow_tf32: bool = False,
    memory_bytes: int | None = None,
    progress: bool | None = None,
) -> dict[str, torch.Tensor]:
    """The NTK contribution of each parameter group, from one pass over the data: name -> kernel
    (shapes as in :func:`gram`).

    ``layers``: module- or parameter-name prefixes, one group each (e.g. ``["features",
    "classifier"]``; one string is one group, as ``parameters`` of :func:`gram` reads it);
    default: every module that owns trainable parameters, by its name. The groups must not
    overlap; their kernels sum to the NTK of the parameters they cover. Other arguments as in
    :func:`gram`.
    """
    layers = [name for name, _ in parameter_layers(model)] if layers is None else as_names(layers, "layers")
    with tf32(allow_tf32), torch.no_grad():
        comp = GramComputation(model, x1, x2, kind="ntk", outputs=outputs, groups=layers,
                               implementation=implementation, block_size=block_size, device=device, dtype=dtype,
                               memory_bytes=memory_bytes)
        return dict(zip(layers, comp.assemble(progress)))


def paired(
    model: nn.Module | None,
    x1,
    x2,
    *,
    kind: str = "ntk",
    outputs: str = "scalar",
    parameters: list[str] | None = None,
    implementation: str = "auto",
    device=None,
    dtype: torch.dtype | None = None,
    allow_tf32: bool = False,
) -> torch.Tensor:
    """K(x1_i, x2_i) for i = 1..m, without the m x m matrix: shape (m,), or (m, C, C) for
    ``kind="ntk", outputs="full"``. With K(x, x) and K(Tx, Tx) from ``paired(model, x, x)`` and
    ``paired(model, Tx, Tx)`` it gives the cosine K(x, Tx) / √(K(x, x) K(Tx, Tx)) of invariance
    measures. Arguments as in :func:`kernel`; x1 and x2 have the same number of samples.
    """
    x1, x2 = samples(x1, "x1"), samples(x2, "x2")
    same_sample_shape(x1, x2)
    if len(x1) != len(x2):
        raise ValueError(f"paired kernels need inputs of equal length; got {len(x1)} and {len(x2)}")
    with tf32(allow_tf32), torch.no_grad():
        comp = GramComputation(model, x1, kind=kind, outputs=outputs, parameters=parameters,
                               implementation=implementation, block_size=2, device=device, dtype=dtype)
        workers = comp.workers()
        try:
            def unit(s):
                f1, f2 = (workers.extract(x[s : s + FORWARD_CHUNK].to(comp.device, comp.dtype)) for x in (x1, x2))
                return contract_paired(f1, f2, comp.mode)[0].cpu()

            return torch.cat(workers.map(unit, range(0, len(x1), FORWARD_CHUNK)))
        finally:
            workers.close()


def per_sample_gradients(
    model: nn.Module,
    x,
    *,
    outputs: str = "scalar",
    parameters: list[str] | None = None,
    implementation: str = "auto",
    device=None,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """∇θf(x_i) for every sample: (m, P) for ``outputs="scalar"``, (m, C, P) for ``"full"``.

    Columns follow ``model.named_parameters()`` (trainable parameters named by ``parameters``,
    each flattened). Memory: m·C·P numbers; for kernels, :func:`gram` and :func:`paired` never form
    them. Arguments as in :func:`gram`.
    """
    if outputs not in ("scalar", "full"):
        raise ValueError(f"per_sample_gradients takes outputs='scalar' or 'full', not {outputs!r}")
    x = samples(x, "x")
    device = resolve_device(device)
    dtype = parameter_dtype(model) if dtype is None else dtype
    prepared = prepare_model(model, device, dtype)
    restrict(prepared, as_names(parameters, "parameters"))
    n_params = sum(p.numel() for p in prepared.parameters() if p.requires_grad)
    itemsize = torch.empty((), dtype=dtype).element_size()
    with torch.no_grad():
        probe = x[:2].to(device, dtype)
        check_model_takes(prepared, probe, x, "x")
        extractor = jacobian_features(prepared, probe, "full", implementation, materialize=True)
        n_out = extractor(probe).n_outputs
        if outputs == "scalar" and n_out != 1:
            raise ValueError(f"outputs='scalar' needs a scalar-output network; this one has {n_out} outputs")
        memory.require(len(x) * n_out * n_params * itemsize, torch.device("cpu"), "the per-sample gradients",
                       "use fewer samples or select parameters")
        out = torch.empty(len(x), n_out, n_params, dtype=dtype)
        for s in range(0, len(x), FORWARD_CHUNK):
            chunk = x[s : s + FORWARD_CHUNK].to(device, dtype)
            out[s : s + len(chunk)] = extractor(chunk).dense[0].cpu()
    return out[:, 0] if outputs == "scalar" else out
