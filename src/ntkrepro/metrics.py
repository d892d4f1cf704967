"""Training-dynamics metrics of the figures: iterations to a training loss, rank correlations."""

from __future__ import annotations

import numpy as np
from scipy import stats


def iterations_to_loss(step_losses, threshold: float, window: int) -> float:
    """First iteration t at which the mean mini-batch loss over iterations t-window+1..t is at most
    ``threshold`` (mini-batch losses are noisy; the paper does not say how it smoothed). NaN if the
    run never gets there."""
    losses = np.asarray(step_losses, dtype=np.float64)
    window = max(1, min(int(window), len(losses)))
    if len(losses) == 0:
        return float("nan")
    running = np.convolve(losses, np.ones(window) / window, mode="valid")
    hits = np.flatnonzero(running <= threshold)
    return float(hits[0] + window) if len(hits) else float("nan")


def spearman(x, y) -> float:
    """Spearman rank correlation of the finite pairs (NaN with fewer than three)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(stats.spearmanr(x[ok], y[ok]).statistic)
