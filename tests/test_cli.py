"""Command-line traps a new user hits, each answered by one clear line; the ``ntkrepro`` command."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import torch
from workflow_helpers import ROOT, copy_workflow, snakemake

from ntkrepro import cli, cli_hints, io, models, ntk
from ntkrepro.data import Dataset


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("cli"))


def run_python(work, *args):
    """``python -S ARGS`` in the copy: without site, no .pth file of the environment runs, so what
    these tests see of the hints is what the command itself applies."""
    path = os.pathsep.join([str(work / "src"), sysconfig.get_paths()["purelib"]])
    return subprocess.run([sys.executable, "-S", *args], cwd=work, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": path}, timeout=600)


def wrapped_snakemake(work, *args):
    return run_python(work, "-m", "ntkrepro", "snakemake", "--cores", "2", *args)


def one_clear_line(proc, *words):
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out and 'File "' not in out, out
    line = next(line for line in out.splitlines() if all(w in line for w in words))
    return line


def test_a_yaml_syntax_error_names_the_file_and_the_line(work):
    (work / "broken.yaml").write_text("recipes:\n  ortiz2021:\n    lr: [0.1\n    epochs: 3\n")
    proc = wrapped_snakemake(work, "-n", "--configfile", "broken.yaml")
    one_clear_line(proc, "config file broken.yaml, line 4", "expected ',' or ']'")


@pytest.mark.parametrize("target", ["figures/fig7.pdf", "figures/fig7.csv"])
def test_a_target_after_configfile_is_named_as_such(work, target):
    (work / "figures").mkdir(exist_ok=True)
    (work / "figures/fig7.pdf").write_bytes(b"%PDF-1.4 \xac\xed binary")  # exists, or not (the CSV)
    proc = wrapped_snakemake(work, "-n", "--configfile", ".test/config.yaml", target)
    one_clear_line(proc, f"--configfile {target}: this is a target", "put targets before --configfile")


def test_without_the_wrapper_snakemake_gives_no_hint(work):
    # the control of the two tests above: in their setup, the hints come from `ntkrepro snakemake` alone
    proc = run_python(work, "-m", "snakemake", "--cores", "2", "-n", "--configfile", ".test/config.yaml",
                      "figures/fig7.csv")
    assert proc.returncode != 0 and "this is a target" not in proc.stdout + proc.stderr


def test_cuda_on_a_machine_without_a_gpu_stops_the_first_job_that_would_use_it(work):
    # The check runs where the job runs (a GPU-less submit host may send GPU jobs to SLURM): jobs
    # that need no device may run, the first that would use it stops in one line, nothing half made.
    target = "results/kernels/synthetic/classes/all/lenet-seed42/init/ntk.h5"
    proc = snakemake(work, target, "--configfile", ".test/config.yaml", "--config", "compute={device: cuda}",
                     check=False)
    logs = "".join(p.read_text() for p in (work / "logs").rglob("*.log"))
    assert proc.returncode != 0 and "Traceback" not in logs
    assert "config key 'compute.device': cuda, but this machine" in logs + proc.stdout + proc.stderr
    assert "has no CUDA GPU (use auto or cpu)" in logs + proc.stdout + proc.stderr
    assert not any((work / "results" / d).exists() for d in ("kernels", "spectra", "runs"))


def test_rulegraph_without_graphviz_says_what_to_install(tmp_path):
    make = shutil.which("make")
    proc = subprocess.run([make, "-C", str(ROOT), "rulegraph"], capture_output=True, text=True,
                          env={"PATH": str(tmp_path)})  # no dot (nor anything else) on the PATH
    assert proc.returncode != 0
    assert "make rulegraph needs Graphviz's dot: apt-get install graphviz" in proc.stderr


def test_problems_of_config_files(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("seed: 3\n")
    assert cli_hints.problem(good) is None
    assert "no such file" in cli_hints.problem(tmp_path / "missing.yaml")
    assert "this is a target" in cli_hints.problem("results/kernels/x.h5")


# ---- the ntkrepro command ---------------------------------------------------------------------


@pytest.fixture
def toy(tmp_path):
    """θ0 of a tiny MLP saved as the workflow's initialize rule saves it, and a prepared dataset."""
    model = models.initialize(models.build_model("mlp", (1, 4, 4), {"widths": [8]}), "pytorch", seed=0)
    models.save_model(model, tmp_path / "init.pt", seed=0, scheme="pytorch")
    g = torch.Generator().manual_seed(0)
    Dataset("toy", torch.randn(6, 1, 4, 4, generator=g), torch.arange(6) % 2, torch.randn(3, 1, 4, 4, generator=g),
            torch.arange(3) % 2, [0.0], [1.0]).save(tmp_path / "toy.pt")
    return tmp_path


def test_kernel_writes_the_ntk_of_the_saved_model_and_inspect_prints_its_metadata(toy, capsys):
    out = toy / "k.h5"
    assert cli.main(["kernel", str(toy / "init.pt"), str(toy / "toy.pt"), str(out), "--dtype", "float64"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: 9x9 ntk kernel in ")
    model, _ = models.load_model(toy / "init.pt")
    x = Dataset.load(toy / "toy.pt").inputs("all")
    np.testing.assert_allclose(ntk.read_gram(out), ntk.gram(model, x, dtype=torch.float64).numpy(), rtol=1e-12)

    assert cli.main(["inspect", str(out)]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["split"] == "all" and meta["m"] == 9 and meta["dtype"] == "float64"
    assert meta["model_spec"] == {"arch": "mlp", "input_shape": [1, 4, 4], "options": {"widths": [8]}}

    assert cli.main(["verify", str(toy)]) == 0
    assert "all intermediates are complete" in capsys.readouterr().out


def test_kernel_of_a_task_s_samples(toy):
    io.save_torch({"train_indices": torch.tensor([1, 4]), "test_indices": torch.tensor([0])}, toy / "task.pt")
    out = toy / "k.h5"
    assert cli.main(["kernel", str(toy / "init.pt"), str(toy / "toy.pt"), str(out), "--samples", str(toy / "task.pt"),
                     "--outputs", "trace"]) == 0
    with ntk.open_gram(out, kernel="ntk", outputs="trace") as (ds, _):
        assert ds.shape == (3, 3)
    with io.open_h5(out) as h5:
        assert h5["sample_ids"][()].tolist() == [1, 4, 6]  # test samples after the 6 training ones


@pytest.mark.parametrize("argv, line", [
    (["kernel", "missing.pt", "toy.pt", "k.h5"], "ntkrepro kernel: MODEL missing.pt: no such file"),
    (["kernel", "toy.pt", "toy.pt", "k.h5"], "ntkrepro kernel: MODEL toy.pt: not a network state saved by"),
    (["kernel", "init.pt", "init.pt", "k.h5"], "ntkrepro kernel: DATA init.pt: not a prepared dataset"),
    (["kernel", "init.pt", "toy.pt", "k.h5", "--samples", "toy.pt"], "ntkrepro kernel: --samples toy.pt: not a task file"),
    (["kernel", "init.pt", "toy.pt", "no/k.h5"], "ntkrepro kernel: OUT no/k.h5: no such folder no"),
    (["kernel", "init.pt", "toy.pt", "k.h5", "--split", "val"], "ntkrepro kernel: argument --split: invalid choice: 'val'"),
    (["kernel", "init.pt", "toy.pt", "k.h5", "--kind", "module:nope"], "ntkrepro kernel: the model has no module 'nope'"),
    (["kernel", "init.pt", "toy.pt", "k.h5", "--device", "gpu"], "ntkrepro kernel: argument --device: 'gpu' is not a torch device"),
    (["kernel", "init.pt", "toy.pt", "k.h5", "--device", "cuda:99"], "ntkrepro kernel: argument --device: cuda:99, but this machine has"),
    (["inspect", "toy.pt"], "ntkrepro inspect: toy.pt is not a readable HDF5 file"),
    (["targets", "--directory", "."], "ntkrepro targets: --directory .: not the repository"),
])
def test_a_wrong_argument_is_one_line_that_names_it(toy, capsys, monkeypatch, argv, line):
    monkeypatch.chdir(toy)
    try:
        status = cli.main(argv)
    except SystemExit as e:  # argparse's usage errors
        status = e.code
    err = capsys.readouterr().err
    assert status in (1, 2) and err.startswith(line) and len(err.strip().splitlines()) == 1, err
    assert not any(p.name.startswith("k.h5") for p in toy.iterdir())  # nor its .partial folder


def test_targets_lists_what_the_configuration_enables(capsys):
    assert cli.main(["targets", "--directory", str(ROOT), "--configfile", str(ROOT / ".test/config.yaml"),
                     "--paper", "ortiz2021"]) == 0
    targets = capsys.readouterr().out.split()
    assert "figures/fig7.pdf" in targets and "figures/claims.md" in targets
    assert all(t.startswith("figures/") and not t.startswith("figures/samarin2022") for t in targets)


def test_targets_refuses_a_wrong_config_key_naming_it(tmp_path, capsys):
    (tmp_path / "typo.yaml").write_text("kernel:\n  dtpye: float64\n")
    assert cli.main(["targets", "--directory", str(ROOT), "--configfile", str(tmp_path / "typo.yaml")]) == 1
    assert capsys.readouterr().err.startswith("ntkrepro targets: config: unknown key 'kernel.dtpye'")


def test_python_m_ntkrepro_runs_the_command_and_exits_with_its_status():
    proc = run_python(ROOT, "-m", "ntkrepro", "inspect", "missing.h5")
    assert proc.returncode == 1 and proc.stderr == "ntkrepro inspect: FILE missing.h5: no such file\n"
    proc = run_python(ROOT, "-m", "ntkrepro", "kernel", "init.pt")
    assert proc.returncode == 2
    assert proc.stderr == "ntkrepro kernel: the following arguments are required: DATA, OUT\n"


@pytest.mark.parametrize("argv", [["targets"], ["snakemake", "-n"]])
def test_the_workflow_commands_name_the_missing_extra(argv, capsys, monkeypatch):
    for name in ("snakemake.utils", "snakemake.cli"):
        monkeypatch.setitem(sys.modules, name, None)  # as if snakemake were not installed
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ntkrepro {argv[0]}: this command needs the workflow extra (")
    assert err.strip().endswith("pip install 'ntkrepro[workflow]'") and len(err.splitlines()) == 1
