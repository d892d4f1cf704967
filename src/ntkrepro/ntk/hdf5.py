"""Streaming a symmetric Gram matrix to chunked HDF5, resumable after a kill.

Finished tiles are written atomically, one file each, into ``<output>.partial/`` beside the output
(a path Snakemake does not manage, so it survives a failed or killed job). A rerun with the same
network, inputs and precision computes only the missing tiles; the final HDF5 file is assembled
under a temporary name and renamed into place, so it exists only when complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np
import torch
from torch import nn

from .. import __version__, io
from ..errors import IntegrityError, ResourceError
from ..progress import Progress
from . import memory
from .engine import GramComputation, gram_flops, tf32

log = logging.getLogger(__name__)

DATASET = "gram"
CHUNK_EDGE = 512
WRITE_CACHE_BYTES = 256 * 2**20


def fingerprint(model: nn.Module, x: torch.Tensor, dtype: torch.dtype) -> str:
    """A digest of everything the matrix depends on: parameters, buffers, inputs, precision, code."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{__version__}|{dtype}|{tuple(x.shape)}".encode())
    for name, t in list(model.state_dict().items()) + [("inputs", x)]:
        t = t.detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.view(torch.uint8).numpy().data if t.numel() else b"")
    return h.hexdigest()


def write_gram(
    model: nn.Module,
    x: torch.Tensor,
    path: str | Path,
    *,
    block_size: int | None = None,
    device=None,
    dtype: torch.dtype = torch.float32,
    allow_tf32: bool = False,
    memory_bytes: int | None = None,
    meta: dict | None = None,
    sample_ids=None,
) -> dict:
    """Compute Θ(x, x) and write it to ``path`` (dataset ``gram``); returns the file's metadata.

    ``sample_ids`` (default 0..m-1) says which samples of the source the rows are; it is stored
    beside the matrix as the dataset ``sample_ids``.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    digest = fingerprint(model, x, dtype)
    state = _read_state(partial)
    if state and state.get("fingerprint") != digest:
        log.info(f"discarding {partial}: it was computed from other parameters or inputs")
        io.remove_tree(partial)
        state = None
    if state:
        block_size = state["tile"]
    itemsize = torch.empty((), dtype=dtype).element_size()
    m = len(x)
    need = 1.5 * m * m * itemsize  # tiles of the upper triangle, then the assembled matrix
    if io.free_bytes(path.parent) < need:
        raise ResourceError(f"writing the {m}x{m} Gram matrix to {path} needs {need / 2**30:.1f} GiB of free disk")

    t_start = time.monotonic()
    with tf32(allow_tf32), torch.no_grad():
        comp = GramComputation(model, x, block_size=block_size, device=device, dtype=dtype, memory_bytes=memory_bytes)
        tiling = comp.tiling
        partial.mkdir(parents=True, exist_ok=True)
        if not state:
            io.write_text(json.dumps({"fingerprint": digest, "tile": tiling.size, "m": m}), partial / "state.json")
        done = {ij for ij in tiling.tiles() if _tile_path(partial, ij).exists()}
        log.info(f"gram: {comp.describe()}; {len(done)} of {len(tiling.tiles())} tiles already done")
        progress = Progress(len(tiling.tiles()), "gram tiles", log, start=len(done))
        n = len(done)
        for ij, tile in comp.tiles(skip=done):
            io.save_npy(tile.numpy(), _tile_path(partial, ij))
            n += 1
            progress.update(n)
    seconds = time.monotonic() - t_start

    info = {
        "kind": "gram",
        "m": m,
        "dtype": str(dtype).replace("torch.", ""),
        "method": comp.describe(),
        "flops": gram_flops(comp),
        "seconds_this_run": seconds,
        "code_version": __version__,
        "fingerprint": digest,
        **(meta or {}),
    }
    ids = np.arange(m) if sample_ids is None else np.asarray(sample_ids, dtype=np.int64)
    _assemble(partial, path, tiling, np.dtype(info["dtype"]), info, ids)
    io.remove_tree(partial)
    return info


def _tile_path(partial: Path, ij: tuple[int, int]) -> Path:
    return partial / f"tile_{ij[0]}_{ij[1]}.npy"


def _read_state(partial: Path) -> dict | None:
    try:
        return json.loads((partial / "state.json").read_text())
    except (OSError, ValueError):
        return None


def _assemble(partial: Path, path: Path, tiling, np_dtype, meta: dict, sample_ids: np.ndarray) -> None:
    edge = min(tiling.m1, CHUNK_EDGE)
    data_bytes = tiling.m1 * tiling.m1 * np_dtype.itemsize + sample_ids.nbytes
    with io.create_h5(path, meta, data_bytes=data_bytes, rdcc_nbytes=WRITE_CACHE_BYTES) as h5:
        h5.create_dataset("sample_ids", data=sample_ids)
        ds = h5.create_dataset(DATASET, (tiling.m1, tiling.m1), dtype=np_dtype, chunks=(edge, edge))
        for i, j in tiling.tiles():
            tile = np.load(_tile_path(partial, (i, j)))
            (r0, r1), (c0, c1) = tiling.rows[i], tiling.cols[j]
            if tile.shape != (r1 - r0, c1 - c0):
                raise IntegrityError(f"tile {i},{j} in {partial} has shape {tile.shape}; delete {partial} to rebuild")
            ds[r0:r1, c0:c1] = tile
            if i != j:
                ds[c0:c1, r0:r1] = tile.T


@contextlib.contextmanager
def open_gram(path: str | Path, expect: dict | None = None) -> Iterator[tuple[h5py.Dataset, dict]]:
    """The Gram dataset of a complete file written by :func:`write_gram` (checked), and its metadata,
    for reading in row blocks without holding the whole matrix."""
    with io.open_h5(path, expect={"kind": "gram", **(expect or {})}) as h5:
        meta = io.get_meta(h5)
        m = meta["m"]
        ds = h5.get(DATASET)
        if ds is None or ds.shape != (m, m):
            raise IntegrityError(f"{path} holds no {m}x{m} '{DATASET}' dataset; delete it to rebuild")
        yield ds, meta


def gram_meta(path: str | Path) -> dict:
    with open_gram(path) as (_, meta):
        return meta


def read_gram(path: str | Path, dtype=np.float64, expect: dict | None = None) -> np.ndarray:
    """Read a complete Gram matrix written by :func:`write_gram`, checking its metadata."""
    with open_gram(path, expect) as (ds, meta):
        memory.require(
            meta["m"] ** 2 * np.dtype(dtype).itemsize, torch.device("cpu"), f"reading {path} as {np.dtype(dtype)}",
            "use a machine with more memory",
        )
        return ds.astype(dtype)[()]
