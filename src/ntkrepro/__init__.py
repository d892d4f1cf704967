"""ntkrepro: empirical neural tangent kernels, and the figures of the papers built on them.

The public modules load on first use (``import ntkrepro; ntkrepro.ntk.gram(...)``), so importing the
package itself is cheap.
"""

from importlib import import_module

__version__ = "0.1.0"

PUBLIC = ("ntk", "spectra", "fits", "analysis", "transforms", "models", "data", "tasks", "training", "linearize", "nads", "infinite")
__all__ = list(PUBLIC)


def __getattr__(name: str):
    if name in PUBLIC:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *PUBLIC])
