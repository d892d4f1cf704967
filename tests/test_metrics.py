import math

import numpy as np
import pytest
import torch

from ntkrepro import claims, io, metrics, tasks


def test_iterations_to_loss_uses_a_running_mean():
    losses = [1.0, 0.5, 0.02, 0.005, 0.004, 0.003]
    assert metrics.iterations_to_loss(losses, 0.01, window=1) == 4
    assert metrics.iterations_to_loss(losses, 0.01, window=2) == 5  # (0.005 + 0.004) / 2 <= 0.01
    assert math.isnan(metrics.iterations_to_loss(losses, 1e-4, window=2))


def test_spearman_ignores_missing_values():
    assert metrics.spearman([1, 2, 3, 4], [4, 3, 2, float("nan")]) == pytest.approx(-1.0)
    assert math.isnan(metrics.spearman([1, 2], [3, 4]))


def test_stratified_cifar2_subset():
    classes = torch.arange(1000) % 10
    task = tasks.cifar2_task(classes, classes[:50], size=100, seed=3)
    idx = task["train_indices"].numpy()
    assert len(idx) == 100 and len(set(idx)) == 100
    assert np.bincount(classes.numpy()[idx]).tolist() == [10] * 10
    assert torch.equal(task["y_train"], tasks.sign_labels(4.5 - classes.numpy()[idx]))
    again = tasks.cifar2_task(classes, classes[:50], size=100, seed=3)
    other = tasks.cifar2_task(classes, classes[:50], size=100, seed=4)
    assert torch.equal(again["train_indices"], task["train_indices"])
    assert not torch.equal(other["train_indices"], task["train_indices"])
    assert task["y_test"].tolist() == ([1] * 5 + [-1] * 5) * 5


def test_csv_round_trip_with_text(tmp_path):
    io.write_csv({"a": [1, 2], "b": ["x, y", "z"], "c": [0.1, float("nan")]}, tmp_path / "t.csv")
    back = io.read_csv(tmp_path / "t.csv")
    assert back["a"].tolist() == [1.0, 2.0] and back["b"].tolist() == ["x, y", "z"]
    assert back["c"][0] == 0.1 and math.isnan(back["c"][1])


def table(**cols):
    return {k: np.asarray(v) for k, v in cols.items()}


def test_claims_verdicts_follow_the_data():
    fig7 = table(index=[1, 2, 3], alpha_init=[3.0, 2.0, 1.0], alpha_trained=[6.0, 4.0, 50.0], is_target=[0, 0, 1])
    assert claims.fig7(fig7)[0].holds is True
    fig7_flat = table(index=[1, 2, 3], alpha_init=[3.0, 2.0, 1.0], alpha_trained=[60.0, 4.0, 5.0], is_target=[0, 0, 1])
    assert claims.fig7(fig7_flat)[0].holds is False
    fig6 = table(epoch=[0, 1, 10], energy_concentration=[0.3, 0.5, 0.7])
    assert claims.fig6(fig6)[0].value == pytest.approx(0.7 / 0.3)
    fig9 = table(kind=["linearized"] * 3 + ["network"], pretraining_epochs=[0, 1, 10, 10], test_accuracy=[0.9, 0.7, 0.6, 0.65])
    assert [c.holds for c in claims.fig9(fig9)] == [True, True]
    card = claims.scorecard({"6": fig6, "7": fig7})
    assert [c.figure for c in card] == ["6", "7"]
    assert "2 of 2 claims hold" in claims.markdown(card, "test")


def test_too_few_points_is_not_computable():
    fig3 = table(index=[1, 2], iterations_to_threshold=[10.0, 20.0], distance_l2=[1.0, 2.0], distance_cosine=[0.1, 0.2])
    assert all(c.holds is None for c in claims.fig3(fig3))
