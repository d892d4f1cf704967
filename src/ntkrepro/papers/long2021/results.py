"""Long 2021's figure tables: the mean and confidence interval over seeds of each quantity of the
evaluation files, per setting and checkpoint or learning rate; reading a series back from a table,
and the gaps and slopes its claims compare."""

from __future__ import annotations

import numpy as np

from ... import io
from ... import claims
from ...claims import Claim, judge, trained  # noqa: F401  (the claims' preconditions: results.trained)
from ...figure_stats import gap, mean_ci, mean_finite, slope_vs_log  # noqa: F401  (the claims use results.mean_finite)
from .common import FAMILY_NAMES

# a quantity of the evaluation files: (measure, kind, quantity)
SVM = ("svm", "ntk", "test_error")
SVM_CONJUGATE = ("svm", "conjugate", "test_error")
NETWORK = ("network", "", "test_error")
ALIGNMENT = ("alignment", "conjugate", "alignment")
TRAINING_LOSS = ("network", "", "train_loss")
# The preconditions on the network a claim compares: the logistic training loss over the task's
# training samples at that checkpoint (chance: ln 2 = 0.69). The paper trains to 0.01.
LEARNING = 0.35  # "has begun to learn": about half the loss of chance
TRAINED = 0.1  # "has trained"
INTERVAL = "the interval over seeds (sd/√n)"
STANDIN = "(stand-in"  # how a cat-vs-dog panel's task name says it is a stand-in pair


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


def claim(text: str, statistic: str, value: float, test, **preconditions) -> Claim:
    """The claim's verdict (``preconditions``: ``requires`` and ``standin`` of ``claims.judge``)."""
    return judge(text, statistic, value, test, **preconditions)


def resolved(difference: float, interval: float) -> str:
    """'' when the difference exceeds its interval over seeds, else why the claim is not tested."""
    return claims.resolved(difference, interval, INTERVAL)


def with_training_loss(series: dict) -> dict:
    """A figure's series and the network's training loss, which its claims' preconditions read."""
    return {**series, "training loss": TRAINING_LOSS}


def loss_at(t, model, task, xval, x="epoch", augmentation=0) -> float:
    """The network's mean training loss over seeds at one checkpoint (NaN if the table has none)."""
    return value_at(t, model, task, "training loss", xval, x, augmentation)


def paired(t, model, task, a: str, b: str, x: str = "epoch", augmentation: int = 0):
    """(x both series have, series a - series b, the interval of that difference: √(ci_a² + ci_b²))."""
    xa, ya, ca = curve(t, model, task, a, x, augmentation)
    xb, yb, cb = curve(t, model, task, b, x, augmentation)
    both = np.intersect1d(xa, xb)
    ia, ib = np.isin(xa, both), np.isin(xb, both)
    return both, ya[ia] - yb[ib], np.hypot(ca[ia], cb[ib])


def interval_of_mean(intervals) -> float:
    """The interval of the mean of independent differences with these intervals."""
    v = np.asarray(list(intervals), dtype=np.float64)
    return float(np.sqrt(np.sum(v**2)) / len(v)) if len(v) else float("nan")


def augmentation_pairs(t, series, x: str = "epoch") -> list[tuple]:
    """Per (model, task, series) and x both runs have: ((model, task, series), x, with augmentation -
    without, its interval over seeds, training loss with, training loss without)."""
    out = []
    for model, task, _ in panels(t):
        for name in series:
            x0, a, ca = curve(t, model, task, name, x, 0)
            x1, b, cb = curve(t, model, task, name, x, 1)
            for v in np.intersect1d(x0, x1):
                i, j = np.flatnonzero(x0 == v)[0], np.flatnonzero(x1 == v)[0]
                out.append(((model, task, name), v, b[j] - a[i], np.hypot(ca[i], cb[j]),
                            loss_at(t, model, task, v, x, 1), loss_at(t, model, task, v, x, 0)))
    return out


def at_last(pairs) -> list[tuple]:
    """The entries of ``augmentation_pairs`` at each key's last x."""
    last = {}
    for p in pairs:
        if p[0] not in last or p[1] > last[p[0]][1]:
            last[p[0]] = p
    return list(last.values())


def largest_loss(pairs) -> float:
    """The largest training loss, with or without augmentation, of these entries (NaN if none is known)."""
    losses = [v for p in pairs for v in p[4:] if np.isfinite(v)]
    return max(losses, default=float("nan"))


def unmatched(pairs) -> str:
    """'' when the runs with and without augmentation agree at epoch 0 (the same seeds and θ0), else
    why the comparison is not tested."""
    at_init = [abs(p[2]) for p in pairs if p[1] == 0]
    worst = max(at_init, default=0.0)
    return "" if worst <= 1e-12 else (f"not a matched comparison: with and without augmentation differ by {worst:.3g} "
                                      "at epoch 0 (not the same seeds and θ0)")


def begun(t, models=None, group: str | None = None) -> str:
    """'' when every network of the table (of ``models`` and ``group``) whose training loss the table
    has began to learn by its last checkpoint (training loss < ``LEARNING``), else why a claim about
    training is not tested."""
    losses = []
    for model, task, g in panels(t):
        if (models is None or model in models) and (group is None or g == group):
            _, ys, _ = curve(t, model, task, "training loss")
            losses += ys[-1:].tolist()
    return trained(max(losses, default=float("nan")), LEARNING, "largest training loss at the last checkpoint")


def every_case(changes, sign: int) -> tuple[float, str]:
    """For "in all cases it rises" (``sign`` +1) or falls (-1), from (change, interval over seeds)
    pairs: the fraction that move that way beyond their interval, and '' or why the claim is not
    tested (no pair moves the other way beyond its interval, but some stay within it or have none)."""
    changes = list(changes)
    along = sum(bool(sign * d > ci) for d, ci in changes)
    against = sum(bool(-sign * d > ci) for d, ci in changes)
    if not changes:
        return float("nan"), ""
    undecided = len(changes) - along - against
    reason = "" if against or not undecided else (f"{undecided} of {len(changes)} changes are within {INTERVAL} "
                                                  "(or it is not known)")
    return along / len(changes), reason


def standin(t) -> bool:
    """Whether the table's cat-vs-dog panels are a stand-in pair, not CIFAR-10 cat vs dog."""
    return any(STANDIN in task for task in tasks_of(t, group="cifar"))


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


def slope_interval(xs, intervals) -> float:
    """The interval of the least-squares slope against log10(x) of independent values with these intervals."""
    u = np.log10(np.asarray(xs, dtype=np.float64))
    if len(u) < 2:
        return float("nan")
    w = (u - u.mean()) / np.sum((u - u.mean()) ** 2)
    return float(np.sqrt(np.sum(w**2 * np.asarray(intervals, dtype=np.float64) ** 2)))


def mean_slope(t, series, keys=None, augmentation: int = 0) -> tuple[float, float]:
    """Mean over settings (``keys``, else all) and ``series`` of the slope against log10(learning
    rate), and its interval over seeds (NaN with one seed)."""
    slopes, intervals = [], []
    for model, task, _ in keys or panels(t):
        for name in [series] if isinstance(series, str) else series:
            xs, ys, ci = curve(t, model, task, name, "lr", augmentation)
            slope = slope_vs_log(xs, ys)
            if np.isfinite(slope):
                ok = np.isfinite(ys) & (xs > 0)
                slopes.append(slope)
                intervals.append(slope_interval(xs[ok], ci[ok]))
    return mean_finite(slopes), interval_of_mean(intervals)


def lr_trained(t) -> str:
    """'' when every run without augmentation reached training loss ``TRAINED`` (the learning-rate
    runs train until a loss target, at most the recipe's epochs), else why the claim is not tested."""
    rows = (t["series"] == "training loss") & (t["augmentation"] == 0)
    worst = float(np.max(t["mean"][rows])) if rows.any() else float("nan")
    return trained(worst, TRAINED, "largest final training loss")
