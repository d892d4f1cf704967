"""The statistics of the figures against numpy and scipy, and on data whose answer is known."""

import math

import numpy as np
import pytest
from scipy import stats

from ntkrepro import figure_stats as fs

NAN = float("nan")


def test_mean_ci_is_the_mean_and_sd_over_root_n_of_the_finite_values():
    mean, half, n = fs.mean_ci([1.0, 2.0, 3.0, NAN])
    assert (mean, n) == (2.0, 3) and half == pytest.approx(1.0 / math.sqrt(3))
    values = np.random.default_rng(0).normal(size=7)
    assert fs.mean_ci(values) == pytest.approx((values.mean(), values.std(ddof=1) / math.sqrt(7), 7))
    assert np.isnan(fs.mean_ci([1.0])[1]) and fs.mean_ci([])[2] == 0


@pytest.mark.parametrize("ddof", [0, 1])
def test_over_seeds_matches_numpy_per_x(ddof):
    rng = np.random.default_rng(1)
    x = np.repeat([5, 1, 2], 4)
    values = rng.normal(size=12)
    at, mean, sd = fs.over_seeds(x, values, ddof)
    assert at.tolist() == [1, 2, 5]
    for i, v in enumerate(at):
        assert mean[i] == np.mean(values[x == v]) and sd[i] == np.std(values[x == v], ddof=ddof)


def test_over_seeds_keeps_a_failed_seed_visible_and_checks_shapes():
    _, mean, sd = fs.over_seeds([1, 1, 2], [0.5, NAN, 0.7])
    assert np.isnan(mean[0]) and np.isnan(sd[0]) and mean[1] == 0.7
    with pytest.raises(ValueError, match="x has shape \\(2,\\) but values has shape \\(3,\\)"):
        fs.over_seeds([1, 2], [1.0, 2.0, 3.0])


def test_loglog_slope_recovers_a_known_exponent_and_its_interval_covers_it():
    rng = np.random.default_rng(2)
    x = np.tile([1.0, 2.0, 5.0, 10.0, 60.0], 5)
    seed = np.repeat(np.arange(5), 5)
    y = 3.0 * x ** -0.5 * np.exp(rng.normal(scale=0.05, size=x.shape))
    slope = fs.loglog_slope(x, y, seed)
    assert slope.seeds == 5 and slope.low < -0.5 < slope.high and slope.estimate == pytest.approx(-0.5, abs=0.05)
    per_seed = [stats.linregress(np.log(x[seed == s]), np.log(y[seed == s])).slope for s in range(5)]
    half = stats.t.ppf(0.975, 4) * np.std(per_seed, ddof=1) / math.sqrt(5)
    assert (slope.estimate, slope.high - slope.estimate) == pytest.approx((np.mean(per_seed), half))
    exact = fs.loglog_slope(x[:5], 2 * x[:5] ** 1.5, seed[:5])
    assert exact.estimate == pytest.approx(1.5) and exact.seeds == 1 and np.isnan(exact.low)


def test_loglog_slope_skips_points_off_the_log_scale_and_names_bad_arguments():
    slope = fs.loglog_slope([1, 10, 100, 0], [1, 10, 100, 5], [0, 0, 0, 0])
    assert slope.estimate == pytest.approx(1.0)
    assert fs.loglog_slope([1, 1], [1, 2], [0, 0]).seeds == 0
    with pytest.raises(ValueError, match="x, y and seed must have one shape"):
        fs.loglog_slope([1, 2], [1, 2], [0])
    with pytest.raises(ValueError, match="confidence must lie in \\(0, 1\\), got 95"):
        fs.loglog_slope([1, 2], [1, 2], [0, 0], confidence=95)


def test_slope_vs_log_and_mean_finite():
    assert fs.slope_vs_log([0.01, 0.1], [1.0, 3.0]) == pytest.approx(2.0)
    assert fs.slope_vs_log([0.01, 0.1, 1.0, 0.0], [1.0, 3.0, NAN, 7.0]) == pytest.approx(2.0)  # NaN, log 0 left out
    assert np.isnan(fs.slope_vs_log([0.1], [1.0]))
    assert fs.mean_finite([1.0, NAN, 3.0]) == 2.0 and np.isnan(fs.mean_finite([NAN]))


def test_gap_pairs_the_x_both_curves_have():
    x, difference = fs.gap([3, 10, 1], [0.7, 0.5, 0.9], [3, 1, 30], [0.6, 0.85, 0.1])
    assert x.tolist() == [1, 3] and difference == pytest.approx([0.05, 0.1])
    with pytest.raises(ValueError, match="gap: xb repeats an x value"):
        fs.gap([1, 2], [0.0, 0.0], [1, 1], [0.0, 0.0])


def test_spearman_is_scipys():
    x, y = [1, 2, 3, 4], [0.1, 0.4, 0.2, 0.9]
    assert fs.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
