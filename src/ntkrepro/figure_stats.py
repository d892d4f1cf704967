"""The statistics the papers' figures and claims compute from their tables, one implementation each:
aggregation over seeds, slopes against a log axis (with an interval over seeds), rank correlation
and the gap between two curves."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .metrics import spearman  # noqa: F401  (the rank correlation of the figures)


def mean_sd(values, ddof: int = 0) -> tuple[float, float]:
    """Mean and standard deviation (divisor n - ``ddof``) of the values as they are: a NaN (a failed
    seed) makes both NaN, so that a figure shows it."""
    v = np.asarray(values, dtype=np.float64)
    return float(np.mean(v)), float(np.std(v, ddof=ddof))


def mean_ci(values) -> tuple[float, float, int]:
    """Mean, confidence half-width sd/√n (sample sd, ddof=1, as Long's code; NaN for one value) and n
    of the finite values."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=np.float64)
    if len(v) == 0:
        return float("nan"), float("nan"), 0
    half = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")
    return float(v.mean()), half, len(v)


def over_seeds(x, values, ddof: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the distinct x, sorted; mean; standard deviation with divisor n - ``ddof``) of the values at each x."""
    x, values = np.asarray(x), np.asarray(values, dtype=np.float64)
    if x.shape != values.shape:
        raise ValueError(f"over_seeds: x has shape {x.shape} but values has shape {values.shape}")
    at = np.unique(x)
    pairs = [mean_sd(values[x == v], ddof) for v in at]
    return at, np.array([m for m, _ in pairs]), np.array([s for _, s in pairs])


def mean_finite(values) -> float:
    """Mean of the finite values (NaN if there are none)."""
    v = np.asarray(list(values), dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def slope_vs_log(xs, ys) -> float:
    """Least-squares slope of y against log10(x) (NaN with fewer than two distinct finite points)."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys) & (xs > 0)
    if ok.sum() < 2 or np.ptp(xs[ok]) == 0:
        return float("nan")
    return float(np.polyfit(np.log10(xs[ok]), ys[ok], 1)[0])


@dataclass(frozen=True)
class Slope:
    """An exponent fitted per seed: its mean over seeds and a Student-t interval of that mean."""

    estimate: float
    low: float
    high: float
    seeds: int
    confidence: float


def loglog_slope(x, y, seed, confidence: float = 0.95) -> Slope:
    """The exponent b of y ∝ x^b: the least-squares slope of log y against log x for each seed (its
    finite positive points, at least two distinct x), then the mean over seeds ± t·sd/√n (sd with
    ddof=1; the interval is NaN with one seed)."""
    x, y, seed = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), np.asarray(seed)
    if not x.shape == y.shape == seed.shape:
        raise ValueError(f"loglog_slope: x, y and seed must have one shape, got {x.shape}, {y.shape} and {seed.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"loglog_slope: confidence must lie in (0, 1), got {confidence}")
    slopes = []
    for s in np.unique(seed):
        rows = (seed == s) & np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
        if rows.sum() >= 2 and np.ptp(x[rows]) > 0:
            slopes.append(np.polyfit(np.log(x[rows]), np.log(y[rows]), 1)[0])
    if not slopes:
        return Slope(float("nan"), float("nan"), float("nan"), 0, confidence)
    mean = float(np.mean(slopes))
    if len(slopes) == 1:
        return Slope(mean, float("nan"), float("nan"), 1, confidence)
    half = float(stats.t.ppf((1 + confidence) / 2, len(slopes) - 1) * np.std(slopes, ddof=1) / math.sqrt(len(slopes)))
    return Slope(mean, mean - half, mean + half, len(slopes), confidence)


def gap(xa, a, xb, b) -> tuple[np.ndarray, np.ndarray]:
    """(the x both curves have, sorted; curve a - curve b there). Each curve's x must be distinct."""
    xa, xb = np.asarray(xa), np.asarray(xb)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    for name, xs in (("xa", xa), ("xb", xb)):
        if len(np.unique(xs)) != len(xs):
            raise ValueError(f"gap: {name} repeats an x value; aggregate over seeds first (over_seeds)")
    both = np.intersect1d(xa, xb)
    order_a, order_b = np.argsort(xa), np.argsort(xb)
    in_a = order_a[np.isin(xa[order_a], both)]
    in_b = order_b[np.isin(xb[order_b], both)]
    return both, a[in_a] - b[in_b]
