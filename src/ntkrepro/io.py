"""Crash-safe files: every write goes to a temporary name, is fsynced, then renamed into place.

A process killed at any instant therefore leaves either the old file or the new one, never a
torn one. HDF5 intermediates also carry the metadata that produced them and a completion flag,
checked on every read.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import h5py
import numpy as np
import torch

from .errors import IntegrityError, ResourceError

COMPLETE = "complete"
META = "meta"


def fsync_dir(path: str | os.PathLike) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the usual mode
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException as e:
        full = isinstance(e, Exception) and _out_of_space(e, path.parent)
        tmp.unlink(missing_ok=True)
        if full:
            raise ResourceError(f"no space left on the device while writing {path}") from e
        raise


def _out_of_space(e: Exception, directory: Path) -> bool:
    # libraries report a full disk differently (OSError, h5py's OSError, torch's RuntimeError)
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return True
    return "No space left" in str(e) or free_bytes(directory) < 1 << 16


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_torch(obj: Any, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_torch(path: str | os.PathLike) -> Any:
    """Load a file written by :func:`save_torch`.

    Only tensors, numbers, strings and lists/dicts/tuples of them are read (``weights_only=True``):
    results shared between researchers must not be able to run code when they are opened, so a file
    that needs more is refused.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as e:
        raise IntegrityError(
            f"{path} holds objects other than tensors, numbers, strings and lists/dicts of them, so loading it "
            "could run code; refused (ntkrepro never writes such files)"
        ) from e
    except Exception as e:  # a truncated or foreign file: say which, never pass it on
        raise IntegrityError(f"{path} is unreadable ({type(e).__name__}: {e}); delete it to rebuild") from e


def tensor_digest(tensors, header: str = "") -> str:
    """A digest of ``header`` and of the dtype, shape and bytes of each tensor (or (name, tensor) pair)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(header.encode())
    for item in tensors:
        name, t = item if isinstance(item, tuple) else ("", item)
        t = t.detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}:{t.dtype}:{t.numel()}".encode())
        h.update(t.view(torch.uint8).numpy().data if t.numel() else b"")
    return h.hexdigest()


def save_npy(array: np.ndarray, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array)


def write_text(text: str, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def set_meta(h5: h5py.File, meta: dict) -> None:
    h5.attrs[META] = json.dumps(meta, sort_keys=True, default=str)


def get_meta(h5: h5py.File) -> dict:
    return json.loads(h5.attrs.get(META, "{}"))


@contextlib.contextmanager
def create_h5(path: str | os.PathLike, meta: dict, *, data_bytes: int = 0, **h5_options) -> Iterator[h5py.File]:
    """Write an HDF5 file atomically; it is marked complete only once the block exits cleanly.

    The disk space of ``data_bytes`` (plus room for metadata) is reserved before anything is
    written: HDF5 cannot recover from a disk that fills up under it (HDF5 2.0 then crashes the
    process at exit), so a full disk must show up here, as a clean error, or not at all.
    """
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", **h5_options) as h5:
            if data_bytes:
                _reserve(tmp, int(data_bytes * 1.01) + (1 << 20), path)
            set_meta(h5, meta)
            h5.attrs[COMPLETE] = False
            yield h5
            h5.attrs[COMPLETE] = True


def _reserve(tmp: Path, nbytes: int, path) -> None:
    if not hasattr(os, "posix_fallocate"):  # macOS: the free-space checks before writing must do
        return
    fd = os.open(tmp, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, nbytes)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise ResourceError(f"no space left on the device for {path} ({nbytes / 2**20:.0f} MiB needed)") from e
        raise
    finally:
        os.close(fd)


def open_h5(path: str | os.PathLike, expect: dict | None = None) -> h5py.File:
    """Open an intermediate for reading, refusing incomplete files and metadata mismatches."""
    try:
        h5 = h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except OSError as e:
        raise IntegrityError(f"{path} is not a readable HDF5 file ({e}); delete it to rebuild") from e
    if not bool(h5.attrs.get(COMPLETE, False)):
        h5.close()
        raise IntegrityError(f"{path} was never completed; delete it to rebuild")
    meta = get_meta(h5)
    for key, value in (expect or {}).items():
        if meta.get(key) != value:
            h5.close()
            raise IntegrityError(
                f"{path} was produced with {key}={meta.get(key)!r}, expected {value!r}; delete it to rebuild"
            )
    return h5


def remove_tree(path: str | os.PathLike) -> None:
    shutil.rmtree(path, ignore_errors=True)


def free_bytes(path: str | os.PathLike) -> int:
    path = Path(path)
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def write_csv(columns: dict[str, Any], path: str | os.PathLike) -> None:
    """Write equal-length columns as CSV (floats with full precision, text quoted where needed)."""
    names = list(columns)
    arrays = [np.asarray(columns[n]) for n in names]
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise ValueError(f"columns of unequal length for {path}: {dict(zip(names, map(len, arrays)))}")

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return repr(float(v))
        return v.item() if isinstance(v, np.generic) else v

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for i in range(lengths.pop() if lengths else 0):
        writer.writerow([fmt(a[i]) for a in arrays])
    write_text(buffer.getvalue(), path)


def read_csv(path: str | os.PathLike, labels: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Read a CSV written by :func:`write_csv`; numeric columns come back as numbers, the columns
    named in ``labels`` (labels of which some look like numbers, such as a scorecard's figure column:
    a number for a figure, a name for a table) as written.

    Strict: a row with fewer or more cells than the header, a cell that is not a number in a column
    whose other cells are (outside ``labels``), or a file that ends mid-row raise IntegrityError naming
    the file, the row and the column.
    """
    with open(path, newline="") as f:
        text = f.read()
    if not text:
        raise IntegrityError(f"{path} is empty")
    reader = csv.reader(io.StringIO(text))
    try:
        names = next(reader)
        rows, lines = [], []
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as e:
        raise IntegrityError(f"{path}, line {reader.line_num}: not CSV ({e}); delete it to rebuild") from None

    def fail(r: int, column: str, why: str):
        raise IntegrityError(f"{path}, row {r + 1} (line {lines[r]}), column {column}: {why}; delete it to rebuild")

    if not text.endswith("\n") and rows:  # write_csv ends every row with a line end
        last = rows[-1]
        fail(len(rows) - 1, _column(names, len(last) - 1), "the file ends mid-row (cut short?)")
    for r, row in enumerate(rows):
        if len(row) < len(names):
            fail(r, _column(names, len(row)), f"missing (the row has {len(row)} of the {len(names)} columns)")
        if len(row) > len(names):
            extra = row[len(names)]
            fail(r, _column(names, len(names)), f"an extra cell {extra!r} (the header has {len(names)} columns)")
    out = {}
    for k, name in enumerate(names):
        values = [r[k] for r in rows]
        if name in labels:
            out[name] = np.array(values)
            continue
        numbers = [_number(v) for v in values]
        if all(x is None for x in numbers) and values:
            out[name] = np.array(values)
            continue
        for r, (v, x) in enumerate(zip(values, numbers)):
            if x is None:
                fail(r, _column(names, k), f"{v!r} is not a number, though the column's other cells are")
        out[name] = np.array(numbers, dtype=np.float64)
    return out


def _column(names: list[str], k: int) -> str:
    return repr(names[k]) if k < len(names) else str(k + 1)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
