"""Resume folders held by one job at a time, and jobs that clean up when they are terminated.

A resume folder (a training run's ``resume/``, a Gram matrix's ``<output>.partial/``) is locked with
an exclusive ``fcntl.flock`` for as long as a job uses it; the kernel drops the lock with the
process, so a killed job never leaves it held. A second job on the same folder stops at once with
one line naming the folder instead of waiting: two jobs on one resume state are two builds of the
same output (two Snakemake instances on one results folder, a job submitted twice), and a waiting
one would redo and overwrite what the first has just finished, holding its node all the while.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Iterator

from . import io
from .errors import FolderInUse

log = logging.getLogger(__name__)

# what flock raises where a filesystem does not support it (Lustre without -o flock, some NFS setups)
NO_FLOCK = {errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL}
_held: dict[Path, int] = {}  # folders this process holds, and their locked descriptors


@contextlib.contextmanager
def exclusive(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold ``folder`` (created if missing) for this block; re-entrant within a process.

    Raises :class:`~ntkrepro.errors.FolderInUse` naming the folder when another process holds it.
    The folder is removed on exit if the block left it empty: an empty folder is no state.
    """
    folder = Path(os.path.abspath(folder))
    if folder in _held:
        yield folder
        return
    fd = _lock(folder)
    _held[folder] = fd
    try:
        yield folder
    finally:
        del _held[folder]
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty; still under the lock, so no other job is inside
        os.close(fd)


def _lock(folder: Path) -> int:
    # the folder may be removed and created again between open and flock by a job finishing:
    # the lock counts only on the folder that still has the name
    while True:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderInUse(
                f"{folder} is in use by another job building the same output; wait for it to end, or stop it"
            ) from None
        except OSError as e:
            if e.errno not in NO_FLOCK:
                os.close(fd)
                raise
            # refusing would stop every job there; the lock only guards against a misuse
            log.warning(f"cannot lock {folder} ({e.strerror}): its filesystem has no flock, so a second job "
                        "on the same output would not be stopped")
            return fd
        try:
            if os.stat(folder).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def in_use(folder: str | os.PathLike) -> bool:
    """Whether a job (this process included) holds ``folder`` now."""
    folder = Path(os.path.abspath(folder))
    if folder in _held:
        return True
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError as e:
        if e.errno not in NO_FLOCK:
            raise
        return False  # no job can hold it there either
    finally:
        os.close(fd)
    return False


def clear(folder: Path) -> None:
    """Remove everything inside ``folder``, keeping the folder (and the lock held on it)."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            io.remove_tree(entry)
        else:
            entry.unlink(missing_ok=True)


def exit_on_sigterm() -> None:
    """Turn SIGTERM (Snakemake stopping, a SLURM time limit) into SystemExit, so that every pending
    ``finally`` runs: temporary files are removed and resume folders released before the process ends."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
