"""Run the Snakemake workflow in a scratch copy of the repository, as a user would."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# src/ too: the workflow runs this copy of the library (PYTHONPATH), so tests can edit it
WORKFLOW_FILES = ["Snakefile", "workflow", "config", "envs", ".test", "profiles", "src"]
# A limit that only a hang reaches: the workflow tests take minutes on a quiet 2-core machine and
# several times that on a busy one. NTKREPRO_TEST_TIMEOUT (seconds) overrides it.
TIMEOUT = int(os.environ.get("NTKREPRO_TEST_TIMEOUT", 5400))
TEST_CONFIG = ".test/config.yaml"


def copy_workflow(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def copy_without_figures(built: Path, dest: Path) -> Path:
    """A copy of a built checkout (its results, logs and Snakemake's records, times kept) without its
    figures and report: a test that builds figures of its own there re-runs only what they need."""
    shutil.copytree(built, dest, symlinks=True, ignore=lambda folder, names: {"figures", "report.html"}
                    if Path(folder) == built else set())
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, cores: int = 2, **popen) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), *args]
    env = {**os.environ, "PYTHONPATH": str(workdir / "src")}
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=TIMEOUT, env=env, **popen)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """The rules a dry run would execute, with their job counts (empty: nothing to do)."""
    proc = snakemake(workdir, *args, "-n", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    table = re.search(r"job\s+count\n[-\s]+\n(.*?)\ntotal\s+\d+", out, re.S)
    if not table:
        return {}
    return {line.split()[0]: int(line.split()[1]) for line in table.group(1).splitlines() if line.strip()}


class DryRun:
    """The jobs of one dry run and, for each job, the jobs it needs: the plans of several targets
    (e.g. every paper's target rule and a figure) from one DAG, built once. ``jobs(target)`` is what
    ``planned_jobs(workdir, target, ...)`` gives in a checkout where nothing is built yet."""

    def __init__(self, workdir: Path, *args: str):
        self.workdir = workdir
        out = snakemake(workdir, *args, "-n").stdout
        self.rules, self.outputs, needs = {}, {}, {}
        for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", out)[1:]:
            head, *fields = block.splitlines()
            values = dict(line.strip().split(": ", 1) for line in fields if re.match(r" {4}\w+: ", line))
            job = int(values["jobid"])
            self.rules[job] = re.match(r"(?:local)?rule (\w+):", head).group(1)
            needs[job] = values["input"].split(", ") if "input" in values else []
            self.outputs.update({path: job for path in values["output"].split(", ")} if "output" in values else {})
        self.needs = {job: {self.outputs[p] for p in paths if p in self.outputs} for job, paths in needs.items()}
        total = re.search(r"^total\s+(\d+)$", out, re.M)
        assert total and int(total.group(1)) == len(self.rules), "the dry run's jobs were not all read"

    def jobs(self, target: str) -> dict[str, int]:
        """The rules the target (a rule that runs once, or an output file) needs, with their job counts."""
        named = [job for job, rule in self.rules.items() if rule == target]
        assert len(named) <= 1, f"{target}: a rule of {len(named)} jobs, not a target"
        todo = named or [self.outputs[target]]
        seen = set(todo)
        while todo:
            new = self.needs[todo.pop()] - seen
            seen |= new
            todo += new
        counts: dict[str, int] = {}
        for job in seen:
            counts[self.rules[job]] = counts.get(self.rules[job], 0) + 1
        return counts


def pdf_keywords(path: Path) -> str:
    """The Keywords entry of a PDF's metadata (ntkrepro writes the figure's titles and axis labels there)."""
    data = path.read_bytes()
    start = data.index(b"/Keywords (") + len(b"/Keywords (")
    out, i = bytearray(), start
    while data[i] != 0x29:  # an unescaped ")" ends the string
        if data[i] == 0x5C:  # "\" escapes the next byte
            i += 1
        out.append(data[i])
        i += 1
    raw = bytes(out)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
