"""The workflow on a real (one-node, localhost) SLURM with profiles/slurm, as a cluster user runs it."""

import re
import shutil
import subprocess
import sys

import pytest
from local_slurm import LocalSlurm, install, unavailable_reason
from workflow_helpers import copy_workflow

pytestmark = pytest.mark.slurm

GPU_RULES = {"train", "kernel_init", "kernel_checkpoint", "eigendecompose"}


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = unavailable_reason()
    if reason:  # asked for (NTKREPRO_SLURM_TEST=1, as in CI): not running it is a failure, not a skip
        pytest.fail(f"SLURM integration test asked for but cannot run: {reason}")
    install()
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def slurm_run(slurm, tmp_path_factory):
    """Figure 7 of .test/config.yaml through sbatch; every sbatch call is recorded on its way."""
    work = copy_workflow(tmp_path_factory.mktemp("workflow"))
    bindir = work / "bin"
    bindir.mkdir()
    calls = work / "sbatch-calls.log"
    wrapper = bindir / "sbatch"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {shutil.which("sbatch")} "$@"\n')
    wrapper.chmod(0o755)
    env = {**slurm.env, "PATH": f"{bindir}:{slurm.env['PATH']}"}
    cmd = [
        sys.executable, "-m", "snakemake", "figures/fig7.pdf", "--configfile", ".test/config.yaml",
        "--profile", "profiles/slurm", "--jobs", "4",
        "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "3",
    ]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    return work, log, calls.read_text().splitlines()


def test_jobs_went_through_sbatch_and_the_figure_was_built(slurm, slurm_run):
    work, log, calls = slurm_run
    assert (work / "figures/fig7.pdf").exists() and (work / "figures/fig7.csv").exists()
    job_ids = re.findall(r"SLURM jobid (\d+)", log)
    assert len(job_ids) == len(calls) == 9  # every job but the local figure rules
    known = slurm.run("squeue", "--states=all", "-h", "-o", "%i %T")
    assert known.returncode == 0
    states = dict(line.split() for line in known.stdout.splitlines())
    assert all(states.get(j) == "COMPLETED" for j in job_ids), states
    assert slurm.run("sinfo", "-h").returncode == 0


def test_gpu_rules_ask_for_a_gpu_on_the_gpu_partition(slurm_run):
    _, _, calls = slurm_run
    for call in calls:
        rule = re.search(r"rule_(\w+)", call).group(1)
        if rule in GPU_RULES:
            assert "--gpus=1" in call and "-p gpu" in call, call
        else:
            assert "--gpus" not in call and "-p cpu" in call, call
        assert re.search(r"--mem \d+", call) and re.search(r"-t \d+", call), call
