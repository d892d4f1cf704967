"""A grid of configurations declared once: every combination of the values of named axes."""

from __future__ import annotations

import itertools

from ..errors import ConfigError


def expand(axes: dict[str, list], key: str = "grid") -> list[dict]:
    """Every combination of the axes' values as {axis: value} (the first axis varies slowest);
    ``key`` is the config key that declared the grid, for the error message."""
    if not axes:
        raise ConfigError(f"config key '{key}': a grid needs at least one axis")
    for name, values in axes.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"config key '{key}.{name}': an axis is a non-empty list of values; got {values!r}")
        if len({repr(v) for v in values}) != len(values):
            raise ConfigError(f"config key '{key}.{name}': values repeat ({values!r})")
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(axes[n] for n in names))]
