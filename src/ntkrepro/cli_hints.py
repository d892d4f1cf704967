"""Clearer messages for two command-line mistakes that Snakemake reports before it reads the workflow
(so no code of the workflow can catch them):

* a YAML syntax error in a ``--configfile``: Snakemake says the file "is not valid JSON or YAML";
  this names the file, the line and the column;
* a key written twice in one mapping of a config file: YAML keeps the last silently; this names the
  key, the file and both lines;
* a target written after ``--configfile`` (the option takes several files, so
  ``snakemake --configfile config/paper.yaml figures/<figure>.pdf`` reads the target as a config file):
  Snakemake fails with a traceback; this says so in one line.

``activate()`` wraps Snakemake's config-file loader the moment Snakemake imports it; ``ntkrepro
snakemake ...`` (or ``python -m ntkrepro snakemake ...``) calls it, then runs Snakemake with the same
arguments. A plain ``snakemake`` is left as it is.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

LOADER = "snakemake.common.configfile"
TARGET_SUFFIXES = {".pdf", ".csv", ".md", ".h5", ".pt", ".png", ".html"}


def problem(path) -> str | None:
    """What is wrong with a file given to --configfile, in one line, or None."""
    import yaml

    from . import strict_yaml

    path = Path(path)
    where = "put targets before --configfile, or write --configfile=FILE"
    if path.suffix in TARGET_SUFFIXES or path.parts[:1] in (("figures",), ("results",)):
        return (f"--configfile {path}: this is a target, not a config file (--configfile takes several files, "
                f"so a target written after it is read as one): {where}")
    if not path.exists():
        return f"--configfile {path}: no such file (if it is a target: {where})"
    try:
        strict_yaml.load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return f"--configfile {path}: not a text file, so not a config file: {where}"
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return f"config file {path}{at}: {getattr(e, 'problem', None) or e}"
    return None


def _wrap(module) -> None:
    from snakemake_interface_common.exceptions import WorkflowError

    original = module._load_configfile

    def load(configpath_or_obj, filetype="Config"):
        if isinstance(configpath_or_obj, (str, Path)):
            message = problem(configpath_or_obj)
            if message:
                # Raised from code that claims Snakemake's own file, so that Snakemake prints the
                # message alone, as it does for its own errors, without a traceback line of ours
                exec(compile("raise error", module.__file__, "exec"), {"error": WorkflowError(message)})
        return original(configpath_or_obj, filetype)

    module._load_configfile = load


class _Finder(importlib.abc.MetaPathFinder):
    """Wraps Snakemake's config-file loader right after Snakemake imports it (it imports it early)."""

    def find_spec(self, name, path=None, target=None):
        if name != LOADER:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            try:
                _wrap(module)
            except Exception:  # a Snakemake we do not know: leave it as it is
                pass

        spec.loader.exec_module = exec_module
        return spec


def activate() -> None:
    """Give the one-line messages in this process's Snakemake (imported already or later)."""
    if LOADER in sys.modules:
        _wrap(sys.modules[LOADER])
    elif not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())

