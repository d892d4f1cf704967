"""The papers ntkrepro reproduces (a registry: a paper is a package with one module per figure).

A paper package defines ``KEY`` (its config section and target rule), ``TITLE``, ``FOLDER`` (where its
figures go), ``SCHEMA`` (JSON schema of its own config keys) and ``scale(ctx)`` (the scale line of its
scorecard). Its figures and tables are its modules named ``fig<N>`` and ``table<N>``. A figure module defines
``SCHEMA`` (its config section), ``needs(ctx)`` (what its table reads, as requests of
ntkrepro.pipeline), ``title(ctx)``, ``caption(ctx)`` (report text), ``table(inputs, params)`` (columns
of its CSV), ``plot(table, title)`` (a matplotlib figure from the table alone) and ``claims(table)``
(the paper's claims tested on the table).

Modules are imported by name when needed, so that a job running one figure module imports (and its
code digest covers) that module alone, not its siblings.
"""

import pkgutil
import re
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

FIGURE = re.compile(r"(fig|table)(\d+)")


@dataclass(frozen=True)
class Paper:
    """A paper package with its figure modules: what the config schema and the run plan are handed."""

    module: ModuleType
    figures: dict[str, ModuleType]  # fig<N>, then table<N>, by number

    KEY = property(lambda self: self.module.KEY)
    TITLE = property(lambda self: self.module.TITLE)
    FOLDER = property(lambda self: self.module.FOLDER)
    SCHEMA = property(lambda self: self.module.SCHEMA)

    def scale(self, ctx) -> str:
        """The scale line (dataset, sizes, epochs) of the paper's scorecard."""
        return self.module.scale(ctx)


def keys() -> list[str]:
    """The key of every paper package in this folder: adding a paper is adding its folder."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)


def load_all() -> dict[str, Paper]:
    """Every paper, by key."""
    return {key: load(key) for key in keys()}


def load(key: str) -> Paper:
    """The paper whose package is ``key``."""
    module = import_module(f"{__name__}.{key}")
    return Paper(module, figure_modules(module))


def figure_modules(paper: ModuleType) -> dict[str, ModuleType]:
    """The paper's figure modules (``fig<N>``, then ``table<N>``, by number): adding a figure is adding
    a module (and its config section)."""
    names = [m.name for m in pkgutil.iter_modules(paper.__path__) if FIGURE.fullmatch(m.name)]
    names.sort(key=lambda n: (FIGURE.fullmatch(n)[1], int(FIGURE.fullmatch(n)[2])))
    return {name: import_module(f"{paper.__name__}.{name}") for name in names}
