"""Streaming a symmetric kernel matrix to chunked HDF5, resumable after a kill.

The dataset ``gram`` holds the kernel in the layout :func:`~ntkrepro.ntk.gram` returns: (m, m), or
(m, m, C, C) for a full multi-output NTK (read it with ``sample_major=True`` for the (m·C, m·C)
matrix). The metadata records the kernel (``kernel``: "ntk", "conjugate", ...), the output mode
(``outputs``), the parameters it covers and the shape (``shape``); readers check the kernel and
the output mode against what they expect.

Finished tiles are written atomically, one file each, into ``<output>.partial/`` beside the output
(a path Snakemake does not manage, so it survives a failed or killed job). A rerun with the same
parameters, inputs, code and settings (:func:`fingerprint`) computes only the missing tiles; the
final HDF5 file is assembled under a temporary name and renamed into place, so it exists only when
complete. The job holds ``<output>.partial/`` (:func:`ntkrepro.resume.exclusive`) while it works.

Every chunk carries a Fletcher-32 checksum; readers check checksums, finiteness and symmetry
(:class:`CheckedDataset`, :func:`read_gram`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np
import torch
from torch import nn

from .. import __version__, io, provenance, resume
from ..devices import resolve_device
from ..errors import IntegrityError, ResourceError
from ..progress import Progress
from .. import memory
from .engine import GramComputation, mirrored, parameter_dtype, tf32
from .engine import sample_major as _sample_major
from .implementation import as_names

log = logging.getLogger(__name__)

DATASET = "gram"
# What files written before kernels had kinds hold
DEFAULT_SPEC = {"kernel": "ntk", "outputs": "scalar", "parameters": None}
CHUNK_EDGE = 512
WRITE_CACHE_BYTES = 256 * 2**20


def fingerprint(model: nn.Module | None, x: torch.Tensor, dtype: torch.dtype, spec: dict | None = None, *,
                device=None, implementation: str = "auto", allow_tf32: bool = False) -> str:
    """A digest of everything the matrix's bits depend on: parameters, buffers, inputs, precision,
    which kernel of them it is (``spec``), the code of the engine and of the network, the device and
    the engine settings. The thread count is not part of it: the engine's results do not depend on it."""
    code = provenance.code_digest(__name__, type(model).__module__)
    header = (f"{dtype}|{tuple(x.shape)}|code {code}|{provenance.device_identity(resolve_device(device))}|"
              f"{implementation}|tf32 {allow_tf32}")
    if spec and spec != DEFAULT_SPEC:
        header += json.dumps(spec, sort_keys=True)
    state = model.state_dict() if model is not None else {}
    return io.tensor_digest(list(state.items()) + [("inputs", x)], header)


def write_gram(
    model: nn.Module | None,
    x,
    path: str | Path,
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
    meta: dict | None = None,
    sample_ids=None,
) -> dict:
    """Compute the kernel K(x, x) and write it to ``path`` (dataset ``gram``); returns the file's
    metadata. Kernel arguments as in :func:`~ntkrepro.ntk.kernel` (``x``: tensor or numpy array).

    ``dtype`` (default: the model's parameters') is the precision of the computation and of the file.
    ``sample_ids`` (default 0..m-1) says which samples of the source the rows are; it is stored
    beside the matrix as the dataset ``sample_ids``.
    """
    path = Path(path)
    x = torch.as_tensor(np.asarray(x)) if not isinstance(x, torch.Tensor) else x
    dtype = parameter_dtype(model) if dtype is None else dtype
    parameters = as_names(parameters, "parameters")
    partial = path.with_name(path.name + ".partial")
    spec = {"kernel": kind, "outputs": outputs, "parameters": parameters}
    digest = fingerprint(model, x, dtype, spec, device=device, implementation=implementation, allow_tf32=allow_tf32)
    with resume.exclusive(partial):
        return _write_gram(model, x, path, partial, digest, spec, kind=kind, outputs=outputs, parameters=parameters,
                           implementation=implementation, block_size=block_size, device=device, dtype=dtype,
                           allow_tf32=allow_tf32, memory_bytes=memory_bytes, meta=meta, sample_ids=sample_ids)


def _write_gram(model, x, path: Path, partial: Path, digest: str, spec: dict, *, kind, outputs, parameters,
                implementation, block_size, device, dtype, allow_tf32, memory_bytes, meta, sample_ids) -> dict:
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # an assembly a kill interrupted (this job holds the output)
        stale.unlink()
    state = _usable_state(partial, digest)
    if state:
        block_size = state["tile"]

    t_start = time.monotonic()
    with tf32(allow_tf32), torch.no_grad():
        comp = GramComputation(model, x, kind=kind, outputs=outputs, parameters=parameters,
                               implementation=implementation, block_size=block_size, device=device, dtype=dtype,
                               memory_bytes=memory_bytes)
        tiling = comp.tiling
        itemsize = torch.empty((), dtype=dtype).element_size()
        need = 1.5 * np.prod(comp.shape) * itemsize  # tiles of the upper triangle, then the assembled matrix
        if io.free_bytes(path.parent) < need:
            raise ResourceError(
                f"writing the {'x'.join(map(str, comp.shape))} Gram matrix to {path} needs {need / 2**30:.1f} GiB of free disk"
            )
        if not state:
            io.write_text(json.dumps({"fingerprint": digest, "tile": tiling.size, "m": len(x)}), partial / "state.json")
        done = _finished_tiles(partial, tiling, tuple(comp.shape[2:]), np.dtype(str(dtype).replace("torch.", "")))
        log.info(f"gram: {comp.describe()}; {len(done)} of {len(tiling.tiles())} tiles already done")
        progress = Progress(len(tiling.tiles()), "gram tiles", log, start=len(done))
        n = len(done)
        for ij, (tile,) in comp.tiles(skip=done):
            io.save_npy(tile.numpy(), _tile_path(partial, ij))
            n += 1
            progress.update(n)
    seconds = time.monotonic() - t_start

    t = tiling
    info = {
        "kind": "gram",
        **spec,
        "shape": list(comp.shape),
        "m": len(x),
        "dtype": str(dtype).replace("torch.", ""),
        "method": comp.describe(),
        "flops": comp.pair_flops * (t.m1 * (t.m1 + 1) / 2),
        "seconds_this_run": seconds,
        "code_version": __version__,
        "fingerprint": digest,
        **(meta or {}),
    }
    ids = np.arange(len(x)) if sample_ids is None else np.asarray(sample_ids, dtype=np.int64)
    _assemble(partial, path, tiling, tuple(comp.shape), np.dtype(info["dtype"]), info, ids)
    io.remove_tree(partial)
    return info


def _tile_path(partial: Path, ij: tuple[int, int]) -> Path:
    return partial / f"tile_{ij[0]}_{ij[1]}.npy"


def _read_state(partial: Path) -> dict | None:
    try:
        state = json.loads((partial / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and {"fingerprint", "tile", "m"} <= state.keys() else None


def _usable_state(partial: Path, digest: str) -> dict | None:
    """The tile state in ``partial`` if it is this matrix's; anything else there is removed, with
    one log line (the folder is held by this job)."""
    state = _read_state(partial)
    if state and state["fingerprint"] == digest:
        return state
    if any(partial.iterdir()):
        why = ("it was computed from other parameters, inputs, kernel settings or code" if state else
               "its state.json is missing or unreadable, so its tiles are of unknown origin")
        log.info(f"discarding {partial}: {why}")
        resume.clear(partial)
    return None


def _finished_tiles(partial: Path, tiling, inner: tuple[int, ...], np_dtype) -> set[tuple[int, int]]:
    """The tiles in ``partial`` that read back with their shape and precision; others are removed
    (one log line), to be computed again."""
    done, torn = set(), []
    for ij in tiling.tiles():
        tile = _tile_path(partial, ij)
        if not tile.exists():
            continue
        (r0, r1), (c0, c1) = tiling.rows[ij[0]], tiling.cols[ij[1]]
        try:
            header = np.load(tile, mmap_mode="r")  # reads the header and maps the data: cheap
            usable = header.shape == (r1 - r0, c1 - c0, *inner) and header.dtype == np_dtype
        except (OSError, ValueError):
            usable = False
        if usable:
            done.add(ij)
        else:
            torn.append(tile)
            tile.unlink()
    if torn:
        log.warning(f"recomputing {len(torn)} unreadable tile(s) in {partial} ({torn[0].name}, ...)")
    return done


def partial_problem(partial: Path) -> str | None:
    """Why the tile folder ``partial`` cannot be resumed (no readable state), or None."""
    if _read_state(Path(partial)) is None:
        return "its state.json is missing or unreadable"
    return None


def _assemble(partial: Path, path: Path, tiling, shape: tuple[int, ...], np_dtype, meta: dict,
              sample_ids: np.ndarray) -> None:
    inner = shape[2:]
    # chunks of about CHUNK_EDGE² numbers: (edge, edge) or (edge, edge, C, C)
    edge = min(tiling.m1, max(1, int(CHUNK_EDGE / max(1, int(np.prod(inner))) ** 0.5)))
    data_bytes = int(np.prod(shape)) * np_dtype.itemsize + sample_ids.nbytes
    with io.create_h5(path, meta, data_bytes=data_bytes, rdcc_nbytes=WRITE_CACHE_BYTES) as h5:
        h5.create_dataset("sample_ids", data=sample_ids)
        ds = h5.create_dataset(DATASET, shape, dtype=np_dtype, chunks=(edge, edge, *inner), fletcher32=True)
        for i, j in tiling.tiles():
            tile = np.load(_tile_path(partial, (i, j)))
            (r0, r1), (c0, c1) = tiling.rows[i], tiling.cols[j]
            if tile.shape != (r1 - r0, c1 - c0, *inner):
                raise IntegrityError(f"tile {i},{j} in {partial} has shape {tile.shape}; delete {partial} to rebuild")
            ds[r0:r1, c0:c1] = tile
            if i != j:
                ds[c0:c1, r0:r1] = mirrored(torch.from_numpy(tile)).numpy()


def _check_kind(path, meta: dict, kernel: str | None, outputs: str | None) -> None:
    have = {key: meta.get(key, DEFAULT_SPEC[key]) for key in ("kernel", "outputs")}
    for key, want in (("kernel", kernel), ("outputs", outputs)):
        if want is not None and have[key] != want:
            raise IntegrityError(
                f"{path} holds the {have['kernel']} kernel with outputs={have['outputs']!r}, not the {kernel or have['kernel']} "
                f"kernel with outputs={outputs or have['outputs']!r}; read it with kernel={have['kernel']!r}, "
                f"outputs={have['outputs']!r} (None accepts any)"
            )


class CheckedDataset:
    """A kernel's HDF5 dataset whose every read is checked: a chunk that fails its Fletcher-32
    checksum (or cannot be read) and a block holding non-finite values are an
    :class:`~ntkrepro.errors.IntegrityError` naming the file. Everything else is the h5py dataset's."""

    def __init__(self, ds: h5py.Dataset, path):
        self._ds, self._path = ds, path

    def __getattr__(self, name):
        return getattr(self._ds, name)

    def __len__(self) -> int:
        return len(self._ds)

    def __getitem__(self, key) -> np.ndarray:
        try:
            block = self._ds[key]
        except OSError as e:
            raise IntegrityError(
                f"{self._path}: a chunk of its '{DATASET}' dataset fails its checksum or cannot be read ({e}); "
                "delete it to rebuild"
            ) from e
        if not np.all(np.isfinite(block)):
            raise IntegrityError(f"{self._path} holds non-finite values; delete it to rebuild")
        return block


def _transposed(block: np.ndarray) -> np.ndarray:
    """Kᵀ of a block: (a, b) -> (b, a), and (a, b, C, C) -> (b, a, C, C) with each C x C pair swapped."""
    return block.transpose(1, 0, 3, 2) if block.ndim == 4 else block.T


def _check_symmetric(path, upper: np.ndarray, lower: np.ndarray, r0: int, c0: int) -> None:
    """``upper`` = K[r0:, c0:], ``lower`` = K[c0:, r0:] (blocks of the same extent, transposed).
    The writer mirrors every tile bit for bit, so any difference is damage."""
    mirror = _transposed(lower)
    if not np.array_equal(upper, mirror):
        i, j = (int(v) for v in np.argwhere(upper != mirror)[0][:2])
        raise IntegrityError(
            f"{path} is not symmetric: K[{r0 + i}, {c0 + j}] != K[{c0 + j}, {r0 + i}]; delete it to rebuild"
        )


SAMPLED_PAIRS = 8


def _sampled_checks(path, ds: CheckedDataset) -> None:
    """Symmetry (and, through ``ds``, checksums and finiteness) of every diagonal chunk block and of
    SAMPLED_PAIRS off-diagonal pairs of chunk blocks: a few percent of a large file."""
    m, edge = ds.shape[0], (ds.chunks or ds.shape)[0]
    starts = range(0, m, edge)
    for r0 in starts:
        block = ds[r0 : r0 + edge, r0 : r0 + edge]
        _check_symmetric(path, block, block, r0, r0)
    pairs = [(a, b) for a in starts for b in starts if a < b]
    rng = np.random.default_rng(m)
    for k in rng.choice(len(pairs), size=min(SAMPLED_PAIRS, len(pairs)), replace=False) if pairs else []:
        r0, c0 = pairs[k]
        _check_symmetric(path, ds[r0 : r0 + edge, c0 : c0 + edge], ds[c0 : c0 + edge, r0 : r0 + edge], r0, c0)


@contextlib.contextmanager
def open_gram(path: str | Path, expect: dict | None = None, *, kernel: str | None = "ntk",
              outputs: str | None = "scalar") -> Iterator[tuple[CheckedDataset, dict]]:
    """The kernel dataset of a complete file written by :func:`write_gram` (checked), and its
    metadata, for reading in row blocks without holding the whole matrix.

    ``kernel`` and ``outputs`` are what the caller expects (default: the scalar NTK; None accepts
    any); a file of another kind is an :class:`~ntkrepro.errors.IntegrityError` naming the file.
    ``expect``: further metadata keys that must match. Every block read from the dataset is checked
    (:class:`CheckedDataset`); on opening, the diagonal chunk blocks and a sample of off-diagonal
    pairs are checked for symmetry.
    """
    with io.open_h5(path, expect={"kind": "gram", **(expect or {})}) as h5:
        meta = io.get_meta(h5)
        _check_kind(path, meta, kernel, outputs)
        checked = CheckedDataset(_dataset(h5, path, meta), path)
        _sampled_checks(path, checked)
        yield checked, meta


def _dataset(h5: h5py.File, path, meta: dict) -> h5py.Dataset:
    shape = tuple(meta.get("shape", (meta["m"], meta["m"])))
    ds = h5.get(DATASET)
    if ds is None or ds.shape != shape:
        raise IntegrityError(f"{path} holds no {'x'.join(map(str, shape))} '{DATASET}' dataset; delete it to rebuild")
    return ds


def gram_meta(path: str | Path) -> dict:
    """The metadata of a kernel file (of any kind); its entries are not read."""
    with io.open_h5(path, expect={"kind": "gram"}) as h5:
        meta = io.get_meta(h5)
        _dataset(h5, path, meta)
        return meta


def read_gram(path: str | Path, dtype=np.float64, expect: dict | None = None, *, kernel: str | None = "ntk",
              outputs: str | None = "scalar", sample_major: bool = False) -> np.ndarray:
    """Read a complete kernel written by :func:`write_gram`, checking its metadata (arguments as in
    :func:`open_gram`), every chunk's checksum, and that every entry is finite and K = Kᵀ exactly.
    ``sample_major`` returns a full (m, m, C, C) kernel as its (m·C, m·C) matrix.

    ``dtype``: float64 by default, whatever the file stores (float32 for a kernel computed in
    float32): eigendecompositions, the SVM and kernel regression compute in float64, and reading
    into float64 holds one copy where a float32 read and a cast would hold both. None: the stored
    dtype, at its memory (and, for ``fits.kernel_regression``, with the pseudo-inverse's cutoff of
    the precision the kernel was computed in)."""
    with open_gram(path, expect, kernel=kernel, outputs=outputs) as (ds, meta):
        dtype = ds.dtype if dtype is None else dtype
        memory.require(
            np.prod(ds.shape) * np.dtype(dtype).itemsize, torch.device("cpu"), f"reading {path} as {np.dtype(dtype)}",
            "use a machine with more memory",
        )
        k = np.empty(ds.shape, dtype=dtype)
        edge = (ds.chunks or ds.shape)[0]
        for r0 in range(0, ds.shape[0], edge):
            k[r0 : r0 + edge] = ds[r0 : r0 + edge]
    check_full(path, k)
    return _sample_major(k) if sample_major and k.ndim == 4 else k


def check_full(path, k: np.ndarray, edge: int = 512) -> None:
    """K = Kᵀ exactly, comparing square blocks of ``edge`` rows with their mirrors (cache-friendly,
    no second copy of the matrix)."""
    for r0 in range(0, k.shape[0], edge):
        for c0 in range(r0, k.shape[0], edge):
            _check_symmetric(path, k[r0 : r0 + edge, c0 : c0 + edge], k[c0 : c0 + edge, r0 : r0 + edge], r0, c0)
