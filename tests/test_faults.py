"""Fault injection: jobs killed with SIGKILL at random instants resume to the uninterrupted result;
damaged files are refused; a full disk is a clear error with nothing corrupt left behind."""

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from ntkrepro import io, ntk, spectra, verify
from ntkrepro.errors import IntegrityError, ResourceError

WORKER = Path(__file__).with_name("fault_worker.py")


def run_worker(what, out, kill_after=None):
    """Run the worker; with kill_after, SIGKILL it after that many seconds. True if it finished."""
    proc = subprocess.Popen([sys.executable, str(WORKER), what, str(out)])
    if kill_after is None:
        assert proc.wait(timeout=300) == 0
        return True
    try:
        proc.wait(timeout=kill_after)
        return True
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return False


def kill_training_after(out, epoch):
    """Start the training worker and SIGKILL it once its resume state records ``epoch`` finished
    epochs; returns the epoch the state held when the kill landed."""
    proc = subprocess.Popen([sys.executable, str(WORKER), "train", str(out)])
    state = out / "resume" / "state.pt"
    try:
        while True:
            assert proc.poll() is None, "the training run finished before it could be killed"
            if state.exists():
                saved = torch.load(state, weights_only=True)["epoch"]  # written atomically: never torn
                if saved >= epoch:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    return torch.load(state, weights_only=True)["epoch"]
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()


def timed(what, out):
    t0 = time.monotonic()
    run_worker(what, out)
    return time.monotonic() - t0


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = {}
    for what in ("train", "gram"):
        d = tmp_path_factory.mktemp(f"straight-{what}")
        out[what] = (d, timed(what, d))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_killed_training_resumes_where_it_stopped_bit_identically(uninterrupted, tmp_path, seed):
    straight, _ = uninterrupted["train"]
    rng = random.Random(seed)
    first = rng.randint(1, 15)
    second = rng.randint(first + 1, 30)
    killed_at = [kill_training_after(tmp_path, first), kill_training_after(tmp_path, second)]
    assert len(killed_at) == 2 and first <= killed_at[0] < killed_at[1] < 40
    run_worker("train", tmp_path)
    starts = [json.loads(line) for line in (tmp_path / "starts.jsonl").read_text().splitlines()]
    assert starts == [{"resumed_from": killed_at[1], "epochs_trained": 40 - killed_at[1]}]  # no finished epoch again
    a, b = torch.load(straight / "final.pt"), torch.load(tmp_path / "final.pt")
    assert torch.equal(a["params"], b["params"])
    wall_clock = "seconds"
    assert [{k: v for k, v in h.items() if k != wall_clock} for h in a["history"]] == \
        [{k: v for k, v in h.items() if k != wall_clock} for h in b["history"]]
    for e in (0, 10, 40):
        sa, sb = (torch.load(d / f"epoch{e}.pt")["state_dict"] for d in (straight, tmp_path))
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa), e
    assert not list(tmp_path.rglob("*.tmp"))  # no torn temporary files left


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_killed_gram_resumes_to_the_same_matrix(uninterrupted, tmp_path, seed):
    straight, duration = uninterrupted["gram"]
    rng = random.Random(seed)
    run_worker("gram", tmp_path, kill_after=rng.uniform(0.5, max(1.0, duration)))
    if (tmp_path / "gram.h5").exists():  # only a complete matrix ever has the real name
        assert verify.check(tmp_path / "gram.h5") is None
    run_worker("gram", tmp_path)
    assert np.array_equal(ntk.read_gram(straight / "gram.h5", dtype=np.float32), ntk.read_gram(tmp_path / "gram.h5", dtype=np.float32))
    assert not (tmp_path / "gram.h5.partial").exists()


def test_truncated_hdf5_files_are_refused_and_found(uninterrupted, tmp_path):
    straight, _ = uninterrupted["gram"]
    damaged = tmp_path / "results" / "gram.h5"
    damaged.parent.mkdir()
    data = (straight / "gram.h5").read_bytes()
    damaged.write_bytes(data[: 320 * 320 * 4 // 3])  # a third of the matrix: a write cut short
    with pytest.raises(IntegrityError, match="gram.h5"):
        ntk.read_gram(damaged)
    found = verify.scan([tmp_path / "results"])
    assert [p for p, _ in found] == [damaged]
    assert verify.main([str(tmp_path / "results"), "--delete"]) == 0 and not damaged.exists()


def test_incomplete_hdf5_is_refused(tmp_path):
    with h5py.File(tmp_path / "s.h5", "w") as h5:  # written without the completion flag
        h5.attrs["meta"] = '{"kind": "spectrum", "k": 1, "m": 2}'
        h5["eigenvalues"] = np.ones(1)
    with pytest.raises(IntegrityError, match="never completed"):
        spectra.read_spectrum(tmp_path / "s.h5")


def test_spectrum_of_another_gram_is_refused(tmp_path):
    with io.create_h5(tmp_path / "s.h5", {"kind": "spectrum", "k": 1, "m": 2, "gram_fingerprint": "abc"}) as h5:
        h5["eigenvalues"] = np.ones(1)
        h5["eigenvectors"] = np.ones((1, 2))
    spectra.check_source(tmp_path / "s.h5", {"fingerprint": "abc"}, "k.h5")
    with pytest.raises(IntegrityError, match="was not computed from k.h5"):
        spectra.check_source(tmp_path / "s.h5", {"fingerprint": "xyz"}, "k.h5")


def small_filesystem(path: Path, size: str) -> bool:
    """Mount a tmpfs of ``size`` at ``path`` (needs root); False where that is impossible."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "small"
    if small_filesystem(mount, "2m"):
        yield mount, True
        subprocess.run(["umount", str(mount)], check=False)
    else:
        print("no root or no mount: simulating ENOSPC instead of a real full filesystem")
        mount.mkdir()
        yield mount, False


def test_full_disk_is_a_clear_error_and_leaves_nothing(full_disk, monkeypatch):
    where, real = full_disk
    x = torch.randn(600, 1, 8, 8)
    from ntkrepro.models import build_model

    model = build_model("lenet", (1, 8, 8))
    # the free-space check refuses before any work...
    if real:
        with pytest.raises(ResourceError, match="free disk"):
            ntk.write_gram(model, x, where / "gram.h5")
    # ...and a disk that fills during the write is reported the same way, with no file left behind
    monkeypatch.setattr(io, "free_bytes", lambda path: 1 << 40)
    if not real:
        def enospc(f, a):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(np, "save", enospc)
    with pytest.raises(ResourceError, match="no space left"):
        ntk.write_gram(model, x, where / "gram.h5", block_size=200)
    assert not (where / "gram.h5").exists()
    assert not [p for p in where.rglob("*") if p.suffix == ".tmp" or p.name.endswith(".tmp")]


def test_full_disk_during_a_checkpoint(full_disk, monkeypatch):
    where, real = full_disk
    big = {"w": torch.zeros(2_000_000)}  # 8 MB: larger than the 2 MB filesystem
    if not real:
        def failing_save(obj, f):
            raise RuntimeError("PytorchStreamWriter failed writing file data: No space left on device")

        monkeypatch.setattr(torch, "save", failing_save)
        monkeypatch.setattr(io, "free_bytes", lambda path: 0)
    with pytest.raises(ResourceError, match="no space left"):
        io.save_torch(big, where / "epoch1.pt")
    assert list(where.iterdir()) == []


def test_matrix_too_large_for_memory_is_refused_before_reading(uninterrupted, monkeypatch):
    straight, _ = uninterrupted["gram"]
    from ntkrepro import memory

    monkeypatch.setattr(memory, "available_bytes", lambda device: 1 << 16)
    with pytest.raises(ResourceError, match=r"reading .*gram.h5 as float64 needs about 800.0 KiB but only 64.0 KiB"):
        ntk.read_gram(straight / "gram.h5")
    with pytest.raises(ResourceError, match="eigh of a 320x320 matrix"):
        spectra.eigendecompose(np.eye(320), 5)


def test_network_too_large_for_the_memory_budget_is_refused():
    from ntkrepro.models import build_model

    with pytest.raises(ResourceError, match="more than the memory budget"):
        ntk.gram(build_model("mlp", (1, 8, 8)), torch.randn(10, 1, 8, 8), memory_bytes=1000, block_size=None)


RUN = "results/runs/synthetic/lenet-seed42/cifar2/ortiz2021/network"


def test_snakemake_killed_mid_training_resumes_the_job_with_rerun_incomplete(tmp_path):
    """SIGKILL to Snakemake and its jobs (a lost node, or Ctrl-C twice), then --unlock and
    --rerun-incomplete: the training job resumes after its last finished epoch and ends as an
    uninterrupted build does."""
    from workflow_helpers import copy_workflow, snakemake

    long = {"recipes": {"ortiz2021": {"epochs": 300}}}
    target = f"{RUN}/metrics.csv"
    works = {}
    for name in ("straight", "killed"):
        works[name] = copy_workflow(tmp_path / name)
        (works[name] / "long.yaml").write_text(json.dumps(long))
    snakemake(works["straight"], target, "--configfile", ".test/config.yaml", "long.yaml")

    work = works["killed"]
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", target, "--configfile", ".test/config.yaml", "long.yaml"]
    env = {**os.environ, "PYTHONPATH": str(work / "src")}
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    state = work / RUN / "resume/state.pt"
    try:
        while not (state.exists() and torch.load(state, weights_only=True)["epoch"] >= 20):
            assert proc.poll() is None, "the workflow finished before it could be killed"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    killed_after = torch.load(state, weights_only=True)["epoch"]
    assert 20 <= killed_after < 300 and not (work / target).exists()

    snakemake(work, "--unlock", "--configfile", ".test/config.yaml", "long.yaml")
    snakemake(work, target, "--configfile", ".test/config.yaml", "long.yaml", "--rerun-incomplete")
    log = (work / "logs/train/synthetic/lenet-seed42/cifar2/ortiz2021/network.log").read_text()
    assert f"resuming after epoch {killed_after} of 300" in log
    for name in ("metrics.csv", "steps.csv"):
        a, b = (io.read_csv(w / RUN / name) for w in (works["straight"], work))
        assert all(np.array_equal(a[k], b[k]) for k in a if k != "seconds"), name


def test_a_file_that_could_run_code_is_refused(tmp_path):
    """Results shared between researchers load with weights_only: a file holding any other object
    (here a whole module, pickled with its class) is refused with a message, never unpickled."""
    from ntkrepro.models import build_model

    torch.save({"spec": {}, "state_dict": build_model("lenet", (1, 8, 8))}, tmp_path / "shared.pt")
    with pytest.raises(IntegrityError, match="could run code; refused"):
        io.load_torch(tmp_path / "shared.pt")
    io.save_torch({"tensor": torch.ones(2), "meta": {"epoch": 3, "name": "x", "ids": [1, 2]}}, tmp_path / "ok.pt")
    assert io.load_torch(tmp_path / "ok.pt")["meta"]["ids"] == [1, 2]
