"""Check the intermediates under results/ and report (or delete) any that is damaged.

    python -m ntkrepro.verify [--delete] [PATH ...]      (default PATH: results)

Every reader of the workflow already refuses a truncated, incomplete, corrupted or foreign file
with a message naming it. This finds all of them at once: files that do not read back (every chunk
of a kernel is read, checking its checksum, finiteness and symmetry), temporary files a killed
write left behind, and resume folders that cannot be resumed. With --delete it removes them (a
damaged checkpoint takes its whole `checkpoints/` folder with it: that folder is the training job's
output), so that the next `snakemake` run rebuilds exactly those and what depends on them. Files and
folders of a job that is running (one that holds its resume folder) are left alone; run it while no
other job writes under PATH.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from . import io, ntk, resume
from .errors import IntegrityError
from .ntk import hdf5
from .rebuild import output_of
from .training import loop

CHECKED = (".h5", ".pt", ".csv")
# io.atomic_path's temporary names: .<destination>.<8 random characters>.tmp
TEMPORARY = re.compile(r"^\.(?P<destination>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def check(path: Path) -> str | None:
    """None if ``path`` reads as a complete intermediate, else why not."""
    try:
        if path.suffix == ".h5":
            with io.open_h5(path) as h5:
                is_kernel = io.get_meta(h5).get("kind") == "gram"
            if is_kernel:
                with ntk.open_gram(path, kernel=None, outputs=None) as (ds, _):  # checks its shape and a sample
                    edge = (ds.chunks or ds.shape)[0]
                    for r0 in range(0, ds.shape[0], edge):
                        ds[r0 : r0 + edge]  # every chunk: its checksum and finiteness
        elif path.suffix == ".pt":
            io.load_torch(path)
        elif path.suffix == ".csv":
            io.read_csv(path)
    except (IntegrityError, OSError, KeyError, ValueError) as e:
        return str(e)
    return None


def _temporary_in_use(path: Path) -> bool:
    destination = TEMPORARY.match(path.name)["destination"]
    holders = (path.parent, path.parent / f"{destination}.partial", path.parent / "resume", path.parent.parent / "resume")
    return any(resume.in_use(folder) for folder in holders)


def _resume_problem(folder: Path) -> str | None:
    problem = hdf5.partial_problem(folder) if folder.name.endswith(".partial") else loop.resume_problem(folder)
    return f"unusable resume folder: {problem}" if problem else None


def scan(roots: list[Path]) -> list[tuple[Path, str]]:
    """Every damaged file, stale temporary file and unusable resume folder under ``roots``, with why."""
    bad = []
    for root in roots:
        if root.is_file():
            why = check(root)
            bad += [(root, why)] if why else []
            continue
        for path in sorted(root.rglob("*")):
            if path.is_dir():
                if (path.name == "resume" or path.name.endswith(".partial")) and not resume.in_use(path):
                    why = _resume_problem(path)
                    bad += [(path, why)] if why else []
            elif TEMPORARY.match(path.name):
                if not _temporary_in_use(path):
                    bad.append((path, "stale temporary file: a write that was killed before it finished"))
            elif path.suffix in CHECKED and not any(p.name == "resume" or p.name.endswith(".partial") for p in path.parents):
                why = check(path)
                bad += [(path, why)] if why else []
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ntkrepro.verify", description=__doc__.split("\n")[0])
    p.add_argument("paths", nargs="*", type=Path, default=[Path("results")])
    p.add_argument("--delete", action="store_true", help="delete damaged files so the next run rebuilds them")
    args = p.parse_args(argv)
    bad = scan(args.paths)
    for path, why in bad:
        if args.delete:
            output = output_of(path) if path.is_file() and not TEMPORARY.match(path.name) else path
            print(f"deleted: {output}: {path}: {why}" if output != path else f"deleted: {path}: {why}")
            if output.is_dir():
                io.remove_tree(output)
            else:
                output.unlink(missing_ok=True)
        else:
            print(f"damaged: {path}: {why}")
    print(f"{len(bad)} damaged file(s) or folder(s)" if bad else "all intermediates are complete")
    return 1 if bad and not args.delete else 0


if __name__ == "__main__":
    sys.exit(main())
