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


def copy_workflow(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif src.exists():
            shutil.copy2(src, dest / name)
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
