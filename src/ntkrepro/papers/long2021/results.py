"""Long 2021's figure tables: the mean and confidence interval over seeds of each quantity of the
evaluation files, per setting and checkpoint or learning rate; reading a series back from a table,
and the gaps and slopes its claims compare."""

from __future__ import annotations

import numpy as np

from ... import io
from ...claims import Claim, check
from ...figure_stats import gap, mean_ci, mean_finite, slope_vs_log  # noqa: F401  (the claims use results.mean_finite)
from .common import FAMILY_NAMES

# a quantity of the evaluation files: (measure, kind, quantity)
SVM = ("svm", "ntk", "test_error")
SVM_CONJUGATE = ("svm", "conjugate", "test_error")
NETWORK = ("network", "", "test_error")
ALIGNMENT = ("alignment", "conjugate", "alignment")


def read_evaluation(path) -> dict:
    t = io.read_csv(path)
    kinds = ["" if isinstance(k, float) else str(k) for k in t["kind"]]
    return {(str(m), k, str(q)): float(v) for m, k, q, v in zip(t["measure"], kinds, t["quantity"], t["value"])}


def series_table(items, x: str, series: dict[str, tuple]) -> dict:
    """One row per (model, task, augmentation, x, series): mean, ci and n over seeds of a quantity of
    the evaluation files; ``series`` maps a series name to its (measure, kind, quantity)."""
    groups: dict[tuple, list[float]] = {}
    for lab, path in items:
        values = read_evaluation(path)
        for name, key in series.items():
            if key in values:
                k = (lab["model"], lab["task"], lab["group"], lab["augmentation"], lab[x], name)
                groups.setdefault(k, []).append(values[key])
    cols = {c: [] for c in ("model", "task", "group", "augmentation", x, "series", "mean", "ci", "n")}
    for k, values in groups.items():
        mean, half, n = mean_ci(values)
        for c, v in zip(("model", "task", "group", "augmentation", x, "series"), k):
            cols[c].append(v)
        cols["mean"].append(mean)
        cols["ci"].append(half)
        cols["n"].append(n)
    return cols


def invariance_series(families=("shift", "zoom", "rotation", "swap")) -> dict:
    return {f"invariance {FAMILY_NAMES[f]}": ("invariance", "ntk", f) for f in families}


def curve(t, model: str, task: str, series: str, x: str = "epoch", augmentation: int = 0, group: str | None = None):
    """(x, mean, ci) of one series, sorted by x (empty arrays if the table has none)."""
    rows = (t["model"] == model) & (t["series"] == series) & (t["augmentation"] == augmentation)
    if task is not None:
        rows &= t["task"] == task
    if group is not None:
        rows &= t["group"] == group
    order = np.argsort(t[x][rows])
    return t[x][rows][order], t["mean"][rows][order], t["ci"][rows][order]


def panels(t, models=None, groups=None) -> list[tuple[str, str, str]]:
    """(model, task, group) present in the table, in its order."""
    seen = []
    for m, task, g in zip(t["model"], t["task"], t["group"]):
        if (models is None or m in models) and (groups is None or g in groups) and (m, task, g) not in seen:
            seen.append((m, task, g))
    return seen


def value_at(t, model, task, series, xval, x="epoch", augmentation=0) -> float:
    xs, ys, _ = curve(t, model, task, series, x, augmentation)
    hit = np.flatnonzero(xs == xval)
    return float(ys[hit[0]]) if len(hit) else float("nan")


def claim(text: str, statistic: str, value: float, test) -> Claim:
    return Claim(text, statistic, float(value), check(float(value), test))


def tasks_of(t, model=None, group=None) -> list:
    return [task for m, task, g in panels(t) if (model is None or m == model) and (group is None or g == group)]


def gaps(t, minuend: str, subtrahend: str, x: str = "epoch", augmentation: int = 0, keys=None):
    """Per (model, task): (x values both series have, series ``minuend`` − series ``subtrahend``)."""
    out = []
    for model, task, _ in keys or panels(t):
        xa, a, _ = curve(t, model, task, minuend, x, augmentation)
        xb, b, _ = curve(t, model, task, subtrahend, x, augmentation)
        out.append(gap(xa, a, xb, b))
    return out


def lr_slopes(t, series: str, keys=None, augmentation: int = 0) -> dict:
    """Per (model, task): least-squares slope of a series against log10(learning rate)."""
    out = {}
    for model, task, _ in keys or panels(t):
        xs, ys, _ = curve(t, model, task, series, "lr", augmentation)
        out[(model, task)] = slope_vs_log(xs, ys)
    return out
