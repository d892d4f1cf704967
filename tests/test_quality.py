"""Quality gates: Snakemake's linter, snakefmt, and the paper-scale plan."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_helpers import ROOT, copy_workflow, snakemake


def test_snakemake_lint_is_clean(tmp_path):
    work = copy_workflow(tmp_path / "lint")
    proc = snakemake(work, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefmt_is_clean():
    beside = Path(sys.executable).with_name("snakefmt")  # the test environment's own
    snakefmt = str(beside) if beside.exists() else shutil.which("snakefmt")
    proc = subprocess.run([snakefmt, "--check", "Snakefile", "workflow/"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_job_output_names_what_runs_and_no_empty_shell_command(tmp_path):
    # every rule is a script rule: Snakemake's printshellcmds would print "Shell command: None" for each
    work = copy_workflow(tmp_path / "jobs")
    proc = snakemake(work, "-n", "figures/fig7.pdf", "--configfile", ".test/config.yaml")
    out = proc.stdout + proc.stderr
    assert "rule figure_plot:" in out and "log: logs/" in out
    assert "Shell command" not in out


@pytest.mark.workflow
def test_paper_scale_plan_job_count(paper_scale, capsys):
    jobs = paper_scale.jobs("all")
    with capsys.disabled():
        print(f"\npaper-scale plan (config/paper.yaml): {sum(jobs.values())} jobs, {jobs['train']} training runs")
    assert jobs["train"] > 300 and "claims" in jobs
