"""Command-line traps a new user hits, each answered by one clear line."""

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
from workflow_helpers import ROOT, copy_workflow, snakemake

from ntkrepro import cli_hints


def test_the_environment_activates_the_hints():
    pth = Path(sysconfig.get_paths()["purelib"]) / cli_hints.PTH
    assert pth.exists(), f"{pth} is missing: `make install` writes it (or: python -c 'from ntkrepro import cli_hints; cli_hints.install()')"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("cli"))


def one_clear_line(proc, *words):
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out and 'File "' not in out, out
    line = next(line for line in out.splitlines() if all(w in line for w in words))
    return line


def test_a_yaml_syntax_error_names_the_file_and_the_line(work):
    (work / "broken.yaml").write_text("recipes:\n  ortiz2021:\n    lr: [0.1\n    epochs: 3\n")
    proc = snakemake(work, "-n", "--configfile", "broken.yaml", check=False)
    one_clear_line(proc, "config file broken.yaml, line 4", "expected ',' or ']'")


@pytest.mark.parametrize("target", ["figures/fig7.pdf", "figures/fig7.csv"])
def test_a_target_after_configfile_is_named_as_such(work, target):
    (work / "figures").mkdir(exist_ok=True)
    (work / "figures/fig7.pdf").write_bytes(b"%PDF-1.4 \xac\xed binary")  # exists, or not (the CSV)
    proc = snakemake(work, "-n", "--configfile", ".test/config.yaml", target, check=False)
    one_clear_line(proc, f"--configfile {target}: this is a target", "put targets before --configfile")


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
