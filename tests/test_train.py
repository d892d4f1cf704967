"""The training loop: learning, metrics, checkpoints, every recipe part, and exact resumption."""

import copy

import pytest
import torch
from torch import nn

from ntkrepro import io, training
from ntkrepro.errors import ConfigError, TrainingDiverged
from ntkrepro.models import build_model, initialize, load_model, save_model
from ntkrepro.training import Recipe
from ntkrepro.training.loop import FINAL


def problem(n=96, seed=0, classes=None):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + 32, 1, 8, 8, generator=g)
    if classes:
        y = (x[:, 0, :4].sum(dim=(1, 2)) > 0).long() + 2 * (x[:, 0, 4:].sum(dim=(1, 2)) > 0).long()
    else:
        y = torch.where(x[:, 0, :4].sum(dim=(1, 2)) > 0, 1, -1).to(torch.int8)
    return x[:n], y[:n], x[n:], y[n:]


def fresh_model(outputs=1):
    return initialize(build_model("lenet", (1, 8, 8), {"outputs": outputs}), "lecun-normal", 0)


def run(tmp_path, recipe, name="run", model=None, classes=None):
    model = model or fresh_model(classes or 1)
    x, y, xt, yt = problem(classes=classes)
    paths = {e: tmp_path / name / f"epoch{e}.pt" for e in recipe.checkpoints}
    result = training.train(model, save_model, x, y, xt, yt, recipe, checkpoint_paths=paths,
                            resume_dir=tmp_path / name / "resume")
    return model, result, paths


def test_training_learns_and_records_metrics(tmp_path):
    r = Recipe(epochs=8, batch_size=16, lr=0.2, checkpoints=[0, 4, 8])
    model, result, paths = run(tmp_path, r)
    history, steps = result.history, result.steps
    assert [h["epoch"] for h in history] == list(range(1, 9))
    assert history[-1]["train_loss"] < 0.6 * history[0]["train_loss"]
    assert history[-1]["test_accuracy"] > 0.75
    assert len(steps) == 8 * (96 // 16)
    assert steps[0]["lr"] == pytest.approx(0.2) and steps[-1]["lr"] == pytest.approx(0.2 / len(steps))
    assert result.resumed_from == 0 and result.epochs_trained == 8 and result.final_epoch == 8
    assert all(p.exists() for p in paths.values())
    theta0, _ = load_model(paths[0])
    assert torch.equal(training.parameters_flat(theta0), training.parameters_flat(fresh_model()))
    last, extra = load_model(paths[8])
    assert extra["epoch"] == 8 and torch.equal(training.parameters_flat(last), training.parameters_flat(model))
    l2, cos = training.distances(training.parameters_flat(model), training.parameters_flat(theta0))
    assert history[-1]["distance_l2"] == pytest.approx(l2) and 0 < cos < 1


def test_resumed_training_starts_after_the_last_finished_epoch_and_is_bit_identical(tmp_path, monkeypatch):
    r = Recipe(epochs=5, batch_size=16, lr=0.05, checkpoints=[0, 2, 5])
    straight, expected, _ = run(tmp_path, r, "straight")

    real_save = io.save_torch

    def dying_save(obj, path):
        real_save(obj, path)
        if str(path).endswith("state.pt") and obj["epoch"] == 3:
            raise KeyboardInterrupt("killed after epoch 3")

    monkeypatch.setattr(training.loop.io, "save_torch", dying_save)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, r, "resumed")
    monkeypatch.setattr(training.loop.io, "save_torch", real_save)
    resumed, result, paths = run(tmp_path, r, "resumed")
    assert result.resumed_from == 3 and result.epochs_trained == 2  # epochs 1-3 were not trained again
    assert torch.equal(training.parameters_flat(resumed), training.parameters_flat(straight))
    assert [h["train_loss"] for h in result.history] == [h["train_loss"] for h in expected.history]
    assert result.steps == expected.steps
    assert paths[2].exists()


def test_other_settings_do_not_resume_from_stale_state(tmp_path):
    r = Recipe(epochs=3, batch_size=16, checkpoints=[3])
    run(tmp_path, r, "a")
    assert (tmp_path / "a" / "resume" / "state.pt").exists()
    r2 = Recipe(epochs=3, batch_size=16, lr=0.01, checkpoints=[3])
    fresh, result, _ = run(tmp_path, r2, "a")
    expected, _, _ = run(tmp_path, r2, "b")
    assert result.resumed_from == 0 and result.epochs_trained == 3
    assert torch.equal(training.parameters_flat(fresh), training.parameters_flat(expected))


def test_non_finite_loss_names_epoch_step_and_learning_rate(tmp_path):
    x, y, xt, yt = problem()
    x[5] = float("nan")
    r = Recipe(epochs=2, batch_size=96, lr=0.05, checkpoints=[2])
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 1 \(learning rate 0.05\)"):
        training.train(fresh_model(), save_model, x, y, xt, yt, r, checkpoint_paths={}, resume_dir=tmp_path / "r")


def test_same_seed_same_batches_for_paired_runs():
    assert torch.equal(training.batch_order(100, 42, 3), training.batch_order(100, 42, 3))
    assert not torch.equal(training.batch_order(100, 42, 3), training.batch_order(100, 42, 4))


def test_recipes_are_checked():
    with pytest.raises(ConfigError, match="outside 0..epochs"):
        Recipe(epochs=3, checkpoints=[0, 4])
    with pytest.raises(ConfigError, match="unknown recipe loss 'hinge'"):
        Recipe(loss="hinge")
    with pytest.raises(ConfigError, match="cannot use the linear schedule"):
        Recipe(until_loss=0.01, schedule="linear")
    with pytest.raises(ConfigError, match="larger than the training set"):
        x, y, xt, yt = problem(n=10)
        training.train(fresh_model(), save_model, x, y, xt, yt, Recipe(epochs=1, batch_size=16, checkpoints=[]),
                       checkpoint_paths={}, resume_dir="/tmp/unused-resume")


@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_multi_output_losses_learn_a_four_class_task(tmp_path, loss):
    r = Recipe(epochs=10, batch_size=16, lr=0.1 if loss == "mse" else 0.05, loss=loss, schedule="constant",
               checkpoints=[0])
    _, result, _ = run(tmp_path, r, loss, classes=4)
    assert result.history[-1]["train_loss"] < 0.7 * result.history[0]["train_loss"]
    assert result.history[-1]["test_accuracy"] > 0.5  # chance: 0.25


def test_loss_values_follow_their_definitions():
    f = torch.tensor([[2.0, -1.0], [0.5, 0.0]])
    y = torch.tensor([0, 1])
    assert float(training.LOSSES["mse"](f, y)) == pytest.approx(((2 - 1) ** 2 + 1 + 0.25 + 1) / 4)
    assert float(training.LOSSES["cross-entropy"](f, y)) == pytest.approx(float(torch.nn.functional.cross_entropy(f, y)))
    s, pm = torch.tensor([1.5, -0.5]), torch.tensor([1, 1], dtype=torch.int8)
    assert float(training.LOSSES["logistic"](s, pm)) == pytest.approx(float(torch.log1p(torch.exp(-s)).mean()))
    assert float(training.LOSSES["mse"](s, pm)) == pytest.approx((0.25 + 2.25) / 2)
    assert training.accuracy(f, y) == 0.5 and training.accuracy(s, pm) == 0.5


def test_step_schedule_adam_and_weight_decay(tmp_path):
    r = Recipe(epochs=4, batch_size=32, lr=0.1, schedule="step", step_epochs=2, step_factor=0.1, checkpoints=[0])
    _, result, _ = run(tmp_path, r, "step")
    lrs = {s["epoch"]: s["lr"] for s in result.steps}
    assert lrs == pytest.approx({1: 0.1, 2: 0.1, 3: 0.01, 4: 0.01})
    adam = Recipe(epochs=3, batch_size=32, lr=1e-3, optimizer="adam", weight_decay=1e-4, schedule="constant",
                  checkpoints=[0])
    model, result, _ = run(tmp_path, adam, "adam")
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert isinstance(adam.optimizer_for(model.parameters()), torch.optim.Adam)


def test_training_until_a_loss_target_stops_at_the_first_epoch_that_meets_it(tmp_path):
    r = Recipe(epochs=50, batch_size=16, lr=0.2, schedule="constant", until_loss=0.3, checkpoints=[0, FINAL])
    model, result, paths = run(tmp_path, r, "until")
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] <= 0.3 and all(v > 0.3 for v in losses[:-1]) and result.final_epoch < 50
    final, extra = load_model(paths[FINAL])
    assert extra["epoch"] == result.final_epoch
    assert torch.equal(training.parameters_flat(final), training.parameters_flat(model))


def test_doubling_check_looks_at_the_loss_only_after_10_30_70_epochs():
    r = Recipe(epochs=100, schedule="constant", until_loss=0.01, check="doubling")
    assert [e for e in range(1, 101) if r.checks_loss_after(e)] == [10, 30, 70, 100]


def test_augmentation_is_deterministic_per_step_and_changes_the_batch(tmp_path):
    r = Recipe(epochs=2, batch_size=16, lr=0.05, augmentation="shift-rotate", checkpoints=[0])
    a, result_a, _ = run(tmp_path, r, "aug-a")
    b, result_b, _ = run(tmp_path, r, "aug-b")
    plain, result_plain, _ = run(tmp_path, Recipe(epochs=2, batch_size=16, lr=0.05, checkpoints=[0]), "plain")
    assert result_a.steps == result_b.steps and torch.equal(training.parameters_flat(a), training.parameters_flat(b))
    assert result_a.steps != result_plain.steps


def test_a_one_logit_module_trains_like_a_scalar_output_one(tmp_path):
    # nn.Linear(d, 1) returns (m, 1): the loss and accuracy take it as (m,), not broadcast against (m,)
    x, y, xt, yt = problem()
    flat = lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 1))
    torch.manual_seed(0)
    column = flat()
    scalar = nn.Sequential(copy.deepcopy(column), nn.Flatten(0))
    r = Recipe(epochs=3, batch_size=16, lr=0.1, checkpoints=[])
    results = [training.train(m, save_model, x, y, xt, yt, r, checkpoint_paths={}, resume_dir=tmp_path / name)
               for m, name in ((column, "column"), (scalar, "scalar"))]
    for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        assert [h[key] for h in results[0].history] == pytest.approx([h[key] for h in results[1].history], rel=1e-5)
    assert results[0].history[-1]["test_accuracy"] > 0.75


def test_outputs_that_do_not_fit_the_labels_are_refused_naming_both_shapes():
    labels = torch.tensor([1, -1, 1, -1], dtype=torch.int8)
    for outputs in (torch.zeros(4, 1, 2), torch.zeros(3), torch.zeros(4, 2, 1)):
        for fn in (training.LOSSES["logistic"], training.LOSSES["mse"], training.accuracy):
            with pytest.raises(ValueError, match=rf"outputs of shape \({', '.join(map(str, outputs.shape))},?\).*labels of shape \(4,\)"):
                fn(outputs, labels)


def test_the_logistic_loss_refuses_several_outputs():
    with pytest.raises(ValueError, match=r"logistic loss takes one output.*\(4, 4\)"):
        training.LOSSES["logistic"](torch.zeros(4, 4), torch.tensor([1, -1, 1, -1]))
