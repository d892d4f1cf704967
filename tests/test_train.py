import pytest
import torch

from ntkrepro import io, train
from ntkrepro.errors import ConfigError, TrainingDiverged
from ntkrepro.models import build_model, initialize, load_model, save_model


def problem(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + 32, 1, 8, 8, generator=g)
    y = torch.where(x[:, 0, :4].sum(dim=(1, 2)) > 0, 1, -1).to(torch.int8)
    return x[:n], y[:n], x[n:], y[n:]


def fresh_model():
    return initialize(build_model("lenet", (1, 8, 8)), "lecun-normal", 0)


def run(tmp_path, settings, name="run", model=None):
    model = model or fresh_model()
    x, y, xt, yt = problem()
    paths = {e: tmp_path / name / f"epoch{e}.pt" for e in settings.checkpoints}
    history, steps = train.train(
        model, save_model, x, y, xt, yt, settings, checkpoint_paths=paths, resume_dir=tmp_path / name / "resume"
    )
    return model, history, steps, paths


def test_training_learns_and_records_metrics(tmp_path):
    s = train.Settings(epochs=8, batch_size=16, lr=0.2, checkpoints=[0, 4, 8])
    model, history, steps, paths = run(tmp_path, s)
    assert [h["epoch"] for h in history] == list(range(1, 9))
    assert history[-1]["train_loss"] < 0.6 * history[0]["train_loss"]
    assert history[-1]["test_accuracy"] > 0.75
    assert len(steps) == 8 * (96 // 16)
    assert steps[0]["lr"] == pytest.approx(0.2) and steps[-1]["lr"] == pytest.approx(0.2 / len(steps))
    assert all(p.exists() for p in paths.values())
    theta0, _ = load_model(paths[0])
    assert torch.equal(train.parameters_flat(theta0), train.parameters_flat(fresh_model()))
    last, extra = load_model(paths[8])
    assert extra["epoch"] == 8 and torch.equal(train.parameters_flat(last), train.parameters_flat(model))
    l2, cos = train.distances(train.parameters_flat(model), train.parameters_flat(theta0))
    assert history[-1]["distance_l2"] == pytest.approx(l2) and 0 < cos < 1


def test_resumed_training_is_bit_identical(tmp_path, monkeypatch):
    s = train.Settings(epochs=5, batch_size=16, lr=0.05, checkpoints=[0, 2, 5])
    straight, history, steps, _ = run(tmp_path, s, "straight")

    real_save, saves = io.save_torch, []

    def dying_save(obj, path):
        real_save(obj, path)
        saves.append(path)
        if str(path).endswith("state.pt") and obj["epoch"] == 3:
            raise KeyboardInterrupt("killed after epoch 3")

    monkeypatch.setattr(train.io, "save_torch", dying_save)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, s, "resumed")
    monkeypatch.setattr(train.io, "save_torch", real_save)
    resumed, history2, steps2, paths = run(tmp_path, s, "resumed")
    assert torch.equal(train.parameters_flat(resumed), train.parameters_flat(straight))
    assert [h["train_loss"] for h in history2] == [h["train_loss"] for h in history]
    assert steps2 == steps
    assert paths[2].exists()


def test_other_settings_do_not_resume_from_stale_state(tmp_path, monkeypatch):
    s = train.Settings(epochs=3, batch_size=16, checkpoints=[3])
    run(tmp_path, s, "a")
    state = tmp_path / "a" / "resume" / "state.pt"
    assert state.exists()
    s2 = train.Settings(epochs=3, batch_size=16, lr=0.01, checkpoints=[3])
    fresh, history, _, _ = run(tmp_path, s2, "a")
    expected, history_b, _, _ = run(tmp_path, s2, "b")
    assert torch.equal(train.parameters_flat(fresh), train.parameters_flat(expected))


def test_non_finite_loss_names_epoch_step_and_learning_rate(tmp_path):
    x, y, xt, yt = problem()
    x[5] = float("nan")
    s = train.Settings(epochs=2, batch_size=96, lr=0.05, checkpoints=[2])
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 1 \(learning rate 0.05\)"):
        train.train(fresh_model(), save_model, x, y, xt, yt, s, checkpoint_paths={}, resume_dir=tmp_path / "r")


def test_same_seed_same_batches_for_paired_runs():
    assert torch.equal(train.batch_order(100, 42, 3), train.batch_order(100, 42, 3))
    assert not torch.equal(train.batch_order(100, 42, 3), train.batch_order(100, 42, 4))


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="outside 0..train.epochs"):
        train.Settings(epochs=3, checkpoints=[0, 4])
    with pytest.raises(ConfigError, match="larger than the training set"):
        x, y, xt, yt = problem(n=10)
        train.train(fresh_model(), save_model, x, y, xt, yt, train.Settings(epochs=1, batch_size=16, checkpoints=[]),
                    checkpoint_paths={}, resume_dir="/tmp/unused-resume")
