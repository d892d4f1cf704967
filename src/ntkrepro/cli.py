"""The ``ntkrepro`` command (also ``python -m ntkrepro``).

    ntkrepro kernel MODEL DATA OUT.h5 [--split all] [--kind ntk] [--outputs scalar] ...
    ntkrepro inspect FILE.h5
    ntkrepro targets [--configfile FILE ...] [--paper KEY] [--directory REPO]
    ntkrepro verify [--delete] [PATH ...]
    ntkrepro snakemake [SNAKEMAKE ARGUMENTS ...]

``kernel`` computes a kernel to HDF5 as the workflow's kernel rule does, from a network state saved
with :func:`ntkrepro.models.save_model` (such as the workflow's θ0,
``results/init/<dataset>/<model>-seed<n>.pt``) and a prepared dataset (``results/data/<dataset>.pt``).
``inspect`` prints a kernel file's metadata as JSON.
``targets`` lists the figures and scorecards the configuration enables. ``snakemake`` runs Snakemake
with one-line messages for two command-line slips (:mod:`ntkrepro.cli_hints`).

A mistake (a missing file, a file of another kind, a wrong value) ends the command with one line on
stderr that names the argument, and exit status 1 (2 for a usage error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import NtkReproError

DTYPES = ("float32", "float64")
SPLITS = ("train", "test", "all")


class UsageError(NtkReproError):
    """A command-line argument names a missing file or a file of the wrong kind."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line."""

    def error(self, message):
        """Exit with status 2 and ``<prog>: <message>`` (argparse's messages name the argument)."""
        self.exit(2, f"{self.prog}: {message}\n")


def existing(argument: str, path: str) -> Path:
    """``path`` as a Path if it is a file; else a UsageError naming ``argument``."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{argument} {path}: no such file")
    return path


def device_name(value: str) -> str:
    """A --device value that names a device of this machine (``auto``: CUDA when present)."""
    if value == "auto":
        return value
    import torch

    try:
        device = torch.device(value)
    except RuntimeError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a torch device (auto | cpu | cuda | cuda:<n>)") from None
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise argparse.ArgumentTypeError(f"{value}, but this machine has {torch.cuda.device_count()} CUDA GPU(s) (use auto or cpu)")
    return value


def load_model(path: Path):
    """The network a MODEL file holds."""
    from . import models

    try:
        return models.load_model(path)[0]
    except (KeyError, TypeError, AttributeError):
        raise UsageError(f"MODEL {path}: not a network state saved by ntkrepro.models.save_model") from None


def load_inputs(data: Path, split: str, samples: Path | None):
    """The inputs of a split of a DATA file, restricted to a task's samples, and their sample ids."""
    from . import io
    from .data import Dataset

    try:
        dataset = Dataset.load(data)
    except TypeError:
        raise UsageError(f"DATA {data}: not a prepared dataset (ntkrepro.data.Dataset.save)") from None
    task = io.load_torch(samples) if samples else None
    if task is not None and not (isinstance(task, dict) and {"train_indices", "test_indices"} & set(task)):
        raise UsageError(f"--samples {samples}: not a task file (it has no train_indices nor test_indices)")
    return dataset.select(split, task)


def kernel(args) -> None:
    """``ntkrepro kernel``."""
    from . import ntk
    from .pipeline.kernel_kinds import engine_arguments

    model_file = existing("MODEL", args.model)
    data = existing("DATA", args.data)
    samples = existing("--samples", args.samples) if args.samples else None
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UsageError(f"OUT {out}: no such folder {out.parent}")
    model = load_model(model_file)
    x, ids = load_inputs(data, args.split, samples)
    try:
        info = ntk.write_gram(
            model, x, out, **engine_arguments(vars(args), args.kind, args.outputs, device=args.device),
            meta={"model_file": str(model_file), "samples": str(samples) if samples else "all", "split": args.split,
                  "model_spec": model.spec},
            sample_ids=ids.numpy(),
        )
    except ValueError as e:  # the kernel settings do not suit the network (--kind, --outputs); the message names them
        raise UsageError(str(e)) from None
    print(f"wrote {out}: {'x'.join(map(str, info['shape']))} {info['kernel']} kernel in {info['seconds_this_run']:.1f} s")


def inspect(args) -> None:
    """``ntkrepro inspect``."""
    path = existing("FILE", args.file)
    from . import ntk

    print(json.dumps(ntk.gram_meta(path), indent=2, sort_keys=True, default=str))


def targets(args) -> None:
    """``ntkrepro targets``: the validated configuration's plan, as the workflow builds it."""
    import yaml

    try:
        from snakemake.utils import update_config

        from . import config as ntk_config
    except ImportError as e:
        raise UsageError(f"this command needs the workflow extra ({e}): pip install 'ntkrepro[workflow]'") from None
    from .papers import load_all
    from .pipeline.plan import Plan

    root = Path(args.directory)
    schema_file = root / "workflow/schemas/config.schema.yaml"
    if not schema_file.is_file():
        raise UsageError(f"--directory {root}: not the repository (no {schema_file.relative_to(root)})")
    config: dict = {}
    # as the Snakefile: its config/config.yaml, then each --configfile merged over it, in order
    for i, file in enumerate([root / "config/config.yaml", *args.configfile]):
        path = existing("--configfile" if i else "--directory", file)
        try:
            update_config(config, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except yaml.YAMLError as e:
            raise UsageError(f"--configfile {path}: not valid YAML ({e.__class__.__name__})") from None
    papers = load_all()
    ntk_config.validate(config, ntk_config.load_schema(schema_file, papers))
    plan = Plan(config, papers)
    if args.paper and args.paper not in plan.papers:
        raise UsageError(f"--paper {args.paper}: not an enabled paper of this configuration ({' | '.join(plan.papers)})")
    print("\n".join(plan.targets(args.paper)))


def verify(arguments: list[str]) -> int:
    """``ntkrepro verify``: :func:`ntkrepro.verify.main`."""
    from . import verify as check

    return check.main(arguments)


def snakemake(arguments: list[str]) -> int:
    """``ntkrepro snakemake``: Snakemake's own command line, with the hints of :mod:`ntkrepro.cli_hints`."""
    from . import cli_hints

    try:
        from snakemake.cli import main as snakemake_main
    except ImportError as e:
        raise UsageError(f"this command needs the workflow extra ({e}): pip install 'ntkrepro[workflow]'") from None
    cli_hints.activate()
    return snakemake_main(arguments)  # exits


# Commands that pass every argument on, even --help
PASSTHROUGH = {"verify": verify, "snakemake": snakemake}


def parser() -> argparse.ArgumentParser:
    """The parser of the commands that ntkrepro parses itself (all but verify and snakemake)."""
    p = Parser(prog="ntkrepro", description="Empirical neural tangent kernels and the figures of the papers built on them.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    k = sub.add_parser("kernel", help="compute a kernel to HDF5 from a saved model and a prepared dataset")
    k.add_argument("model", metavar="MODEL", help="a network state saved by ntkrepro.models.save_model (.pt)")
    k.add_argument("data", metavar="DATA", help="a prepared dataset (results/data/<dataset>.pt)")
    k.add_argument("out", metavar="OUT", help="the HDF5 file to write")
    k.add_argument("--split", choices=SPLITS, default="all", help="the dataset's samples (default: all, train then test)")
    k.add_argument("--samples", help="a task file of the workflow (results/tasks/...pt): only its samples")
    k.add_argument("--kind", default="ntk", help="ntk | conjugate | input | output | module:<name> (default: ntk)")
    k.add_argument("--outputs", default="scalar", choices=("scalar", "full", "trace"), help="default: scalar")
    k.add_argument("--block-size", type=int, help="tile edge in samples (default: sized to the memory budget)")
    k.add_argument("--device", default="auto", type=device_name, help="auto | cpu | cuda | cuda:<n> (default: auto)")
    k.add_argument("--dtype", choices=DTYPES, default="float32")
    k.add_argument("--allow-tf32", action="store_true", help="let CUDA matmuls use TF32")
    k.add_argument("--memory-gb", type=float, help="memory budget of the computation (default: the device's)")
    k.set_defaults(run=kernel)

    i = sub.add_parser("inspect", help="print the metadata of a kernel file (.h5) as JSON")
    i.add_argument("file", metavar="FILE")
    i.set_defaults(run=inspect)

    t = sub.add_parser("targets", help="list the figures and scorecards the configuration enables")
    t.add_argument("--configfile", nargs="+", default=[], help="config files merged over config/config.yaml, in order")
    t.add_argument("--paper", help="one paper's targets (its config key)")
    t.add_argument("--directory", default=".", help="the repository (default: the current folder)")
    t.set_defaults(run=targets)

    sub.add_parser("verify", help="check the intermediates under results/ (ntkrepro verify --help)")
    sub.add_parser("snakemake", help="run Snakemake with one-line messages for command-line slips")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the ``ntkrepro`` command on ``argv`` (default: the process's arguments); returns its exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv else None
    try:
        if command in PASSTHROUGH:
            return PASSTHROUGH[command](argv[1:]) or 0
        args = parser().parse_args(argv)
        return args.run(args) or 0
    except NtkReproError as e:
        print(f"ntkrepro {command}: {e}", file=sys.stderr)
        return 1
