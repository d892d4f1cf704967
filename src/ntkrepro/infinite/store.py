"""Writing an infinite-width kernel into the HDF5 kernel format that :func:`ntkrepro.ntk.read_gram`
reads, with its own kernel kind ("infinite-ntk", "infinite-nngp") in the metadata.

``ntk.write_gram`` computes the empirical kernel itself (it builds its own tile source from a
model), so a kernel computed elsewhere is written here with the same layout: the dataset
``gram`` (m, m), the dataset ``sample_ids``, and metadata with ``kind`` "gram", ``kernel``,
``outputs`` "scalar", ``shape``, ``m`` and a fingerprint of the inputs and the network.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from .. import __version__, io
from ..errors import ResourceError
from ..ntk import hdf5
from ..ntk.engine import as_tensor
from .network import KERNELS, Network

KIND_PREFIX = "infinite-"


def write_kernel(network: Network, x, path: str | Path, *, get: str = "ntk", device=None,
                 memory_bytes: int | None = None, meta: dict | None = None, sample_ids=None) -> dict:
    """Compute ``network(x, get=get)`` (float64) and write it to ``path``; returns the file's
    metadata. Read it back with ``ntkrepro.ntk.read_gram(path, kernel="infinite-ntk")`` (or
    "infinite-nngp"). ``sample_ids`` (default 0..m-1): which samples of the source the rows are."""
    if get not in KERNELS:
        raise ValueError(f"get must be 'nngp' or 'ntk' (one kernel per file); got {get!r}")
    path = Path(path)
    x = as_tensor(x)
    ids = np.arange(len(x)) if sample_ids is None else np.asarray(sample_ids, dtype=np.int64)
    if ids.shape != (len(x),):
        raise ValueError(f"sample_ids has shape {ids.shape}, not ({len(x)},): one id per sample of x")
    need = len(x) ** 2 * 8 + ids.nbytes
    if io.free_bytes(path.parent) < need:
        raise ResourceError(f"writing the {len(x)}x{len(x)} kernel to {path} needs {need / 2**30:.1f} GiB of free disk")
    spec = {"kernel": KIND_PREFIX + get, "outputs": "scalar", "parameters": None, "network": repr(network)}
    t_start = time.monotonic()
    k = network(x, get=get, device=device, memory_bytes=memory_bytes).numpy()
    info = {
        "kind": "gram",
        **spec,
        "shape": [len(x), len(x)],
        "m": len(x),
        "dtype": "float64",
        "method": f"closed-form recursions of {network!r}",
        "seconds_this_run": time.monotonic() - t_start,
        "code_version": __version__,
        "fingerprint": hdf5.fingerprint(None, x, torch.float64, spec),
        **(meta or {}),
    }
    edge = max(1, min(len(x), hdf5.CHUNK_EDGE))
    with io.create_h5(path, info, data_bytes=need) as h5:
        h5.create_dataset("sample_ids", data=ids)
        h5.create_dataset(hdf5.DATASET, data=k, chunks=(edge, edge))
    return info
