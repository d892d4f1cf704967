"""What an install gets: the library without the workflow's dependencies, one version everywhere,
and `make clean` removing everything a run builds."""

import importlib
import inspect
import re
import shutil
import subprocess
import sys
import tomllib

import yaml
from workflow_helpers import ROOT

import ntkrepro

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# Imports each name of the `workflow` extra would need, refused as if it were not installed
BLOCK = """
import importlib.abc, sys
blocked = {blocked!r}
class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)")
sys.meta_path.insert(0, Missing())
for name in {modules!r}:
    __import__(name)
print("imported", len({modules!r}))
"""


def distribution_module(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.-]+", requirement)[0].lower().replace("-", "_")


def test_the_library_imports_without_the_workflow_extra():
    blocked = sorted(distribution_module(r) for r in PROJECT["optional-dependencies"]["workflow"])
    assert {"snakemake", "jsonschema", "mlxtend"} <= set(blocked)
    assert not {distribution_module(r) for r in PROJECT["dependencies"]} & set(blocked)
    modules = ["ntkrepro", *(f"ntkrepro.{name}" for name in ntkrepro.PUBLIC), "ntkrepro.cli"]
    proc = subprocess.run([sys.executable, "-c", BLOCK.format(blocked=blocked, modules=modules)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0 and f"imported {len(modules)}" in proc.stdout, proc.stderr[-3000:]


def test_one_version_in_pyproject_the_package_and_the_citation():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert PROJECT["version"] == ntkrepro.__version__ == str(citation["version"])
    assert citation["license"] == PROJECT["license"] == "MIT" and (ROOT / "LICENSE").exists()


def test_make_clean_removes_everything_a_run_builds(tmp_path):
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    built = ["results/kernels/a.h5", "logs/kernel/a.log", ".snakemake/log/x", "figures/fig7.pdf", "figures/fig7.csv",
             "figures/claims.md", "figures/samarin2022/fig1.pdf", "figures/samarin2022/claims.csv", "report.html"]
    for name in [*built, "figures/.gitkeep", "config/config.yaml"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    subprocess.run([shutil.which("make"), "-C", str(tmp_path), "clean"], check=True, capture_output=True, timeout=60)
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["Makefile", "config/config.yaml", "figures/.gitkeep"]


def pins(lines) -> dict[str, str]:
    found = (re.fullmatch(r"\s*(?:- )?([A-Za-z0-9_.-]+)==(\S+)\s*", line) for line in lines)
    return {m[1].lower(): m[2] for m in found if m}


def test_the_conda_environment_pins_what_requirements_txt_pins():
    env = yaml.safe_load((ROOT / "envs/ntkrepro.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = pins(pip)
    assert len(env_pins) == len(pip)  # every pip entry pinned, none a path
    required = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert all(required[name] == version for name, version in env_pins.items()), (env_pins, required)
    needed = {re.match(r"[A-Za-z0-9_.-]+", r)[0].lower() for r in PROJECT["dependencies"]}
    assert needed | {"scikit-learn", "joblib", "mlxtend"} <= set(env_pins)


def test_the_post_deploy_script_installs_the_checkout_it_runs_in(tmp_path):
    script = ROOT / "envs/ntkrepro.post-deploy.sh"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text('#!/bin/sh\necho "$@" > "$CALLED"\n')
    (fake / "python").chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "CALLED": str(tmp_path / "called")}
    proc = subprocess.run(["bash", str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and (tmp_path / "called").read_text().split() == [
        "-m", "pip", "install", "--quiet", "--no-deps", "-e", "."]
    elsewhere = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert elsewhere.returncode == 1
    assert elsewhere.stderr == f"envs/ntkrepro.post-deploy.sh: {tmp_path} is not the ntkrepro repository; run snakemake from the repository\n"


def undocumented(module) -> list[str]:
    """The functions and classes a module exports (its __all__, else its public names) defined in
    ntkrepro without a docstring of their own, and their public methods and properties without one."""
    missing = []
    for name in getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]:
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or not obj.__module__.startswith("ntkrepro"):
            continue
        generated = inspect.isclass(obj) and (obj.__doc__ or "").startswith(f"{obj.__name__}(")  # a dataclass's
        if not obj.__doc__ or generated:
            missing.append(f"{module.__name__}.{name}")
        for attr, value in vars(obj).items() if inspect.isclass(obj) else ():
            function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            if not attr.startswith("_") and inspect.isfunction(function) and not function.__doc__:
                missing.append(f"{module.__name__}.{name}.{attr}")
    return missing


def test_every_public_callable_has_a_docstring():
    names = [*ntkrepro.PUBLIC, "pipeline", "cli"]
    missing = [m for name in names for m in undocumented(importlib.import_module(f"ntkrepro.{name}"))]
    assert not missing, missing
