"""Resume state that cannot be silently wrong: a training run or a Gram matrix resumes only from state
of the same inputs (the test split included), the same code and the same settings; a resume folder
is held by one job at a time; a state that names files it lacks is discarded, never trusted."""

import errno
import logging
import subprocess
import sys

import numpy as np
import pytest
import torch

from ntkrepro import ntk, provenance, resume, training
from ntkrepro.errors import FolderInUse
from ntkrepro.models import build_model, initialize, save_model
from ntkrepro.ntk import hdf5
from ntkrepro.training import Recipe


def problem(shift=0.0):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96 + 32, 1, 8, 8, generator=g)
    y = torch.where(x[:, 0, :4].sum(dim=(1, 2)) > 0, 1, -1).to(torch.int8)
    return x[:96], y[:96], x[96:] + shift, y[96:]


def lenet():
    return initialize(build_model("lenet", (1, 8, 8)), "lecun-normal", 0)


def train(folder, recipe, shift=0.0):
    x, y, xt, yt = problem(shift)
    paths = {e: folder / f"epoch{e}.pt" for e in recipe.checkpoints}
    return training.train(lenet(), save_model, x, y, xt, yt, recipe, checkpoint_paths=paths, resume_dir=folder / "resume")


def interrupted_after(epoch, folder, recipe, monkeypatch, shift=0.0):
    """Train until the resume state holds ``epoch``, then stop as a kill would."""
    real_save = training.loop.io.save_torch

    def save_then_die(obj, path):
        real_save(obj, path)
        if path.name == "state.pt" and obj["epoch"] == epoch:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(training.loop.io, "save_torch", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(folder, recipe, shift)
    monkeypatch.undo()


def test_a_changed_test_split_trains_from_scratch(tmp_path, monkeypatch, caplog):
    r = Recipe(epochs=3, batch_size=32, checkpoints=[0, 3])
    interrupted_after(2, tmp_path, r, monkeypatch)
    caplog.set_level(logging.INFO, "ntkrepro")
    result = train(tmp_path, r, shift=0.5)  # only the test split differs
    assert result.resumed_from == 0 and result.epochs_trained == 3
    assert sum("ignoring resume state" in m for m in caplog.messages) == 1
    expected = train(tmp_path / "straight", r, shift=0.5)
    assert [h["test_accuracy"] for h in result.history] == [h["test_accuracy"] for h in expected.history]
    assert [h["test_loss"] for h in result.history] == [h["test_loss"] for h in expected.history]


def test_changed_training_code_or_threads_train_from_scratch(tmp_path, monkeypatch):
    r = Recipe(epochs=2, batch_size=32, checkpoints=[2])
    interrupted_after(1, tmp_path, r, monkeypatch)
    real_digest = provenance.code_digest
    monkeypatch.setattr(provenance, "code_digest", lambda *modules: "edited-" + real_digest(*modules))
    assert train(tmp_path, r).resumed_from == 0
    monkeypatch.undo()
    interrupted_after(1, tmp_path, r, monkeypatch)
    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 1)
    try:
        assert train(tmp_path, r).resumed_from == 0
    finally:
        torch.set_num_threads(threads)
    interrupted_after(1, tmp_path, r, monkeypatch)
    assert train(tmp_path, r).resumed_from == 1  # the same code, settings and data do resume


def test_training_code_digest_covers_the_loop_and_the_model():
    files = {f.relative_to(provenance.ROOT).as_posix() for f in provenance.library_files(
        None, "ntkrepro.training.loop", "ntkrepro.models.lenet")}
    assert {"training/loop.py", "training/recipe.py", "models/lenet.py"} <= files


def small_gram_inputs():
    g = torch.Generator().manual_seed(1)
    return torch.randn(12, 1, 8, 8, generator=g)


def interrupted_gram(path, model, x, monkeypatch, tiles=3):
    real_save, written = hdf5.io.save_npy, []

    def dying_save(array, p):
        if len(written) == tiles:
            raise KeyboardInterrupt("killed")
        real_save(array, p)
        written.append(p)

    monkeypatch.setattr(hdf5.io, "save_npy", dying_save)
    with pytest.raises(KeyboardInterrupt):
        ntk.write_gram(model, x, path, block_size=4)
    monkeypatch.undo()


def test_tiles_of_other_code_are_not_reused(tmp_path, monkeypatch, caplog):
    model, x = lenet(), small_gram_inputs()
    interrupted_gram(tmp_path / "k.h5", model, x, monkeypatch)
    real_digest = provenance.code_digest
    monkeypatch.setattr(provenance, "code_digest", lambda *modules: "edited-" + real_digest(*modules))
    computed = []
    real_save = hdf5.io.save_npy
    monkeypatch.setattr(hdf5.io, "save_npy", lambda a, p: (computed.append(p), real_save(a, p)))
    caplog.set_level(logging.INFO, "ntkrepro")
    ntk.write_gram(model, x, tmp_path / "k.h5", block_size=4)
    assert len(computed) == 6  # 3 row tiles -> 6 upper-triangle tiles, none reused
    assert sum("discarding" in m for m in caplog.messages) == 1


def test_gram_fingerprint_covers_code_device_and_engine_settings(monkeypatch):
    model, x = lenet(), small_gram_inputs()
    base = hdf5.fingerprint(model, x, torch.float32)
    assert hdf5.fingerprint(model, x, torch.float32) == base
    assert hdf5.fingerprint(model, x, torch.float32, implementation="torchfunc") != base
    assert hdf5.fingerprint(model, x, torch.float32, allow_tf32=True) != base
    assert hdf5.fingerprint(model, x, torch.float32, device="meta") != base
    real_digest = provenance.code_digest
    monkeypatch.setattr(provenance, "code_digest", lambda *modules: "edited-" + real_digest(*modules))
    assert hdf5.fingerprint(model, x, torch.float32) != base


@pytest.fixture
def held_elsewhere(tmp_path):
    """Hold a folder's lock from another process, as a second job would."""
    procs = []

    def hold(folder):
        folder.mkdir(parents=True, exist_ok=True)
        code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); "
                "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)")
        proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "held"

    yield hold
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_second_job_on_a_held_resume_folder_stops_naming_it(tmp_path, held_elsewhere):
    held_elsewhere(tmp_path / "resume")
    with pytest.raises(FolderInUse, match=f"{tmp_path / 'resume'} is in use by another job"):
        train(tmp_path, Recipe(epochs=1, batch_size=32, checkpoints=[0, 1]))
    assert list((tmp_path / "resume").iterdir()) == []  # nothing written into the other job's folder
    held_elsewhere(tmp_path / "k.h5.partial")
    with pytest.raises(FolderInUse, match="k.h5.partial is in use by another job"):
        ntk.write_gram(lenet(), small_gram_inputs(), tmp_path / "k.h5", block_size=4)
    assert not (tmp_path / "k.h5").exists() and list((tmp_path / "k.h5.partial").iterdir()) == []


def test_a_released_resume_folder_is_used_and_an_empty_one_not_left_behind(tmp_path):
    with resume.exclusive(tmp_path / "r") as folder:
        assert resume.in_use(folder)
        with resume.exclusive(tmp_path / "r"):  # the same job again: re-entrant
            pass
        assert resume.in_use(folder)
    assert not resume.in_use(tmp_path / "r") and not (tmp_path / "r").exists()


def test_a_resume_state_missing_a_checkpoint_it_names_is_discarded(tmp_path, monkeypatch, caplog):
    r = Recipe(epochs=3, batch_size=32, checkpoints=[0, 3])
    interrupted_after(2, tmp_path, r, monkeypatch)
    (tmp_path / "resume" / "epoch0.pt").unlink()
    caplog.set_level(logging.INFO, "ntkrepro")
    result = train(tmp_path, r)
    assert result.resumed_from == 0 and result.epochs_trained == 3
    assert [m for m in caplog.messages if "resume state" in m] == [
        f"ignoring resume state {tmp_path / 'resume' / 'state.pt'}: epoch0.pt, which it names, is missing"]
    assert (tmp_path / "epoch0.pt").exists() and (tmp_path / "epoch3.pt").exists()


def test_unusable_gram_state_and_torn_tiles_are_not_trusted(tmp_path, monkeypatch, caplog):
    model, x = lenet(), small_gram_inputs()
    ntk.write_gram(model, x, tmp_path / "straight.h5", block_size=4)
    straight = ntk.read_gram(tmp_path / "straight.h5")
    partial = tmp_path / "k.h5.partial"
    caplog.set_level(logging.INFO, "ntkrepro")

    interrupted_gram(tmp_path / "k.h5", model, x, monkeypatch)
    (partial / "state.json").write_text("{not json")  # tiles of unknown origin
    computed = []
    real_save = hdf5.io.save_npy
    monkeypatch.setattr(hdf5.io, "save_npy", lambda a, p: (computed.append(p), real_save(a, p)))
    ntk.write_gram(model, x, tmp_path / "k.h5", block_size=4)
    assert len(computed) == 6 and sum(f"discarding {partial}" in m for m in caplog.messages) == 1
    assert np.array_equal(ntk.read_gram(tmp_path / "k.h5"), straight)
    monkeypatch.undo()

    (tmp_path / "k.h5").unlink()
    caplog.clear()
    interrupted_gram(tmp_path / "k.h5", model, x, monkeypatch)
    (partial / "tile_0_0.npy").write_bytes(b"\x93NUMPY torn")
    computed.clear()
    monkeypatch.setattr(hdf5.io, "save_npy", lambda a, p: (computed.append(p), real_save(a, p)))
    ntk.write_gram(model, x, tmp_path / "k.h5", block_size=4)
    assert len(computed) == 6 - 2  # the torn tile again, and the three never written
    assert sum("unreadable tile" in m for m in caplog.messages) == 1
    assert np.array_equal(ntk.read_gram(tmp_path / "k.h5"), straight)


def test_a_filesystem_without_flock_is_used_unlocked_with_one_warning(tmp_path, monkeypatch, caplog):
    def no_flock(fd, operation):
        raise OSError(errno.ENOSYS, "Function not implemented")  # Lustre mounted without -o flock

    monkeypatch.setattr(resume.fcntl, "flock", no_flock)
    caplog.set_level(logging.INFO, "ntkrepro")
    result = train(tmp_path, Recipe(epochs=1, batch_size=32, checkpoints=[1]))
    assert result.epochs_trained == 1 and (tmp_path / "epoch1.pt").exists()
    assert [m for m in caplog.messages if "cannot lock" in m] == [
        f"cannot lock {tmp_path / 'resume'} (Function not implemented): its filesystem has no flock, so a second "
        "job on the same output would not be stopped"]
