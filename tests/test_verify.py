"""`python -m ntkrepro.verify` finds every kind of damage a kill or a bad disk leaves (stale
temporaries, unusable resume folders, truncated checkpoints) without crashing, and `--delete`
removes exactly what the next run must rebuild; a terminated job leaves no temporary file."""

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ntkrepro import io, rebuild, resume, verify
from ntkrepro.errors import IntegrityError
from ntkrepro.models import build_model, save_model

WORKER = Path(__file__).with_name("fault_worker.py")
RUN = Path("results/runs/synthetic/lenet-seed42/cifar2/ortiz2021/network")


def test_stale_temporaries_are_reported_and_deleted_but_not_those_of_a_running_job(tmp_path):
    results = tmp_path / "results"
    stale = results / "kernels" / ".ntk.h5.k2x9_abc.tmp"  # what a kill during HDF5 assembly leaves
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"\0" * 4096)
    live = results / "kernels" / ".other.h5.q7m3_zzz.tmp"
    live.write_bytes(b"\0")
    with resume.exclusive(results / "kernels" / "other.h5.partial"):  # its job is still assembling
        io.write_text('{"fingerprint": "x", "tile": 4, "m": 8}', results / "kernels" / "other.h5.partial" / "state.json")
        found = verify.scan([results])
        assert [(p, "stale temporary file" in why) for p, why in found] == [(stale, True)]
        assert verify.main([str(results), "--delete"]) == 0
    assert not stale.exists() and live.exists()


def test_unusable_resume_folders_are_reported_and_deleted(tmp_path, capsys):
    results = tmp_path / "results"
    run = results / "runs" / "a"
    (run / "resume").mkdir(parents=True)
    io.save_torch({"fingerprint": "x", "epoch": 2, "files": ["epoch0.pt"]}, run / "resume" / "state.pt")
    partial = results / "kernels" / "ntk.h5.partial"
    partial.mkdir(parents=True)
    (partial / "tile_0_0.npy").write_bytes(b"")  # tiles, but no state saying whose
    torn_state = results / "runs" / "b" / "resume"
    torn_state.mkdir(parents=True)
    (torn_state / "state.pt").write_bytes(b"PK\x03\x04 torn")
    found = dict(verify.scan([results]))
    assert set(found) == {run / "resume", partial, torn_state}
    assert "epoch0.pt, which it names, is missing" in found[run / "resume"]
    assert "state.json is missing or unreadable" in found[partial]
    assert verify.main([str(results)]) == 1
    assert "unusable resume folder" in capsys.readouterr().out
    assert verify.main([str(results), "--delete"]) == 0
    assert not (run / "resume").exists() and not partial.exists() and not torn_state.exists()


def test_a_truncated_checkpoint_names_the_folder_to_delete_and_delete_removes_it(tmp_path):
    checkpoints = tmp_path / RUN / "checkpoints"
    save_model(build_model("lenet", (1, 8, 8)), checkpoints / "epoch10.pt", epoch=10, step=10)
    save_model(build_model("lenet", (1, 8, 8)), checkpoints / "epoch0.pt", epoch=0, step=0)
    (checkpoints / "epoch10.pt").write_bytes((checkpoints / "epoch10.pt").read_bytes()[:500])
    (tmp_path / RUN / "metrics.csv").write_text("epoch\n1\n")
    with pytest.raises(IntegrityError) as refused:
        rebuild.load_checkpoint(checkpoints / "epoch10.pt")
    message = str(refused.value)
    assert f"delete the folder {checkpoints} (the training job's output) to rebuild it" in message
    assert "delete it to rebuild" not in message
    found = verify.scan([tmp_path / "results"])
    assert [p for p, _ in found] == [checkpoints / "epoch10.pt"]
    assert verify.main([str(tmp_path / "results"), "--delete"]) == 0
    assert not checkpoints.exists() and (tmp_path / RUN / "metrics.csv").exists()


def test_a_terminated_job_removes_its_temporary_file(tmp_path):
    proc = subprocess.Popen([sys.executable, str(WORKER), "write-and-wait", str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "writing"
    assert [p.name for p in tmp_path.glob(".*.tmp")]  # the write is under way
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
