import math

import pytest

from ntkrepro import io, metrics


def test_iterations_to_loss_uses_a_running_mean():
    losses = [1.0, 0.5, 0.02, 0.005, 0.004, 0.003]
    assert metrics.iterations_to_loss(losses, 0.01, window=1) == 4
    assert metrics.iterations_to_loss(losses, 0.01, window=2) == 5  # (0.005 + 0.004) / 2 <= 0.01
    assert math.isnan(metrics.iterations_to_loss(losses, 1e-4, window=2))


def test_spearman_ignores_missing_values():
    assert metrics.spearman([1, 2, 3, 4], [4, 3, 2, float("nan")]) == pytest.approx(-1.0)
    assert math.isnan(metrics.spearman([1, 2], [3, 4]))


def test_csv_round_trip_with_text(tmp_path):
    io.write_csv({"a": [1, 2], "b": ["x, y", "z"], "c": [0.1, float("nan")]}, tmp_path / "t.csv")
    back = io.read_csv(tmp_path / "t.csv")
    assert back["a"].tolist() == [1.0, 2.0] and back["b"].tolist() == ["x, y", "z"]
    assert back["c"][0] == 0.1 and math.isnan(back["c"][1])
