"""Check the intermediates under results/ and report (or delete) any that is damaged.

    python -m ntkrepro.verify [--delete] [PATH ...]      (default PATH: results)

Every reader of the workflow already refuses a truncated, incomplete or foreign file with a message
naming it. This finds all of them at once; with --delete it removes them, so that the next
`snakemake` run rebuilds exactly those files and what depends on them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import io, ntk
from .errors import IntegrityError

CHECKED = (".h5", ".pt", ".csv")


def check(path: Path) -> str | None:
    """None if ``path`` reads as a complete intermediate, else why not."""
    try:
        if path.suffix == ".h5":
            with io.open_h5(path) as h5:
                is_kernel = io.get_meta(h5).get("kind") == "gram"
            if is_kernel:
                with ntk.open_gram(path, kernel=None, outputs=None) as (ds, _):  # checks its shape
                    ds[(-1,) * ds.ndim]  # the last chunk is readable
        elif path.suffix == ".pt":
            io.load_torch(path)
        elif path.suffix == ".csv":
            io.read_csv(path)
    except (IntegrityError, OSError, KeyError, ValueError) as e:
        return str(e)
    return None


def scan(roots: list[Path]) -> list[tuple[Path, str]]:
    bad = []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in CHECKED)
        for path in files:
            why = check(path)
            if why:
                bad.append((path, why))
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ntkrepro.verify", description=__doc__.split("\n")[0])
    p.add_argument("paths", nargs="*", type=Path, default=[Path("results")])
    p.add_argument("--delete", action="store_true", help="delete damaged files so the next run rebuilds them")
    args = p.parse_args(argv)
    bad = scan(args.paths)
    for path, why in bad:
        print(f"{'deleted' if args.delete else 'damaged'}: {path}: {why}")
        if args.delete:
            path.unlink(missing_ok=True)
    print(f"{len(bad)} damaged file(s)" if bad else "all intermediates are complete")
    return 1 if bad and not args.delete else 0


if __name__ == "__main__":
    sys.exit(main())
