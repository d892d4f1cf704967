"""The GPU path at paper scale in one run and one table, sized for 10 minutes on one H100/H200.

    python benchmarks/gpu_check.py --device cuda --out $OUT/gpu_check.md   # a lent GPU
    python benchmarks/gpu_check.py --device cpu --small                     # toy sizes (tests/test_gpu_path.py)

Items, in this order (each in its own try/except: a failure is a row, and the rest still run):
  gram lenet scalar     ntk.gram of the registry's LeNet, MNIST-shaped random inputs
  gram lenet full       the same network with 10 outputs, outputs="full": the (m, m, 10, 10) kernel
  gram resnet18 scalar  ResNet18 of width 16, CIFAR-shaped random inputs
  eigendecompose        spectra.eigendecompose (float64) of a random PSD matrix, top EIGEN_K
  svm exact / jst1      fits.hard_margin_svm on a LeNet NTK of two separable classes
  snakemake fig7        `snakemake figures/fig7.pdf --config compute={device: ...}` in a scratch
                        copy of the repository (--small: on .test/config.yaml)
Columns: seconds; the peak GPU memory torch allocated during the item ("-" on the CPU); the error
against a float64 reference where one is cheap (Gram: relative Frobenius error of the leading
block against torch.func float64 Jacobians; eigendecomposition: max_j ‖K v_j − λ_j v_j‖ / λ_1;
exact SVM: its certified gap; JST-1: 1 − its margin / the exact solver's upper bound); pass/fail.
Once --budget seconds are spent the remaining items are skipped (a row says so). Exit status 0
when every item passed. --out writes the table as it grows (.csv: CSV, else Markdown), so a run
stopped at its time limit leaves the rows it finished.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gc
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from gram_benchmark import jacobian_kernel, per_sample_jacobian  # noqa: E402
from workflow_helpers import copy_workflow  # noqa: E402

from ntkrepro import ntk, spectra  # noqa: E402
from ntkrepro.fits import hard_margin_svm  # noqa: E402
from ntkrepro.models import build_model, initialize  # noqa: E402

MNIST, CIFAR = (1, 28, 28), (3, 32, 32)
# Sizes (full, --small). Estimates from the project's cost model (per-pair FLOPs as the engine
# reports them, H100 peaks of 67 TFLOP/s FP32 and 3.35 TB/s); none is measured yet.
# LeNet scalar, 7.6 kFLOP per pair: 1.4e13 FLOPs (< 1 s at peak); the 14.4 GB float32 kernel is
# assembled on the host, so copies bound it: about 30 s. GPU: the engine's budget (a quarter of
# the free memory); host: 14.4 GB.
GRAM_LENET_M = (60_000, 200)
# LeNet 10 outputs, 0.56 MFLOP per pair: 2.8e13 FLOPs (< 1 s at peak); the kernel is 40 GB
# float32 on the host: about 60 s of copies and assembly. GPU: the engine's budget.
GRAM_LENET_FULL_M = (10_000, 40)
# ResNet18 width 16 (P = 0.70 M, all layers materialized): 1.4 MFLOP per pair, 7e13 FLOPs (about
# 1 s at peak) plus Jacobians at 3 forward passes per sample; 2.8 MB of features per sample (28 GB
# for all: tiles beyond the budget are recomputed): about 30 s. Host: 0.4 GB.
GRAM_RESNET_M = (10_000, 24)
# float64 syevd of a 30,000² matrix: 7.2 GB; eigendecompose asks for 3.2 m² · 8 B = 23 GB. The
# tridiagonal reduction is memory-bound, ≥ m³/6 element reads: ≥ 11 s at 3.35 TB/s; expect
# 30–90 s. (60,000² would ask for 92 GB: H200 only, and several minutes.)
EIGEN_M = (30_000, 400)
EIGEN_K = (1_000, 20)
# LeNet NTK of 12,000 samples (0.6 GB float32, seconds) used in float64 (1.2 GB host). The exact
# solver is libsvm on the host CPU (19 s measured on a 2-core CPU at this size); JST-1 is
# ~13,000 float32 mat-vecs of 0.6 GB, ≈ 0.2 ms each at 3.35 TB/s: a few seconds with launch
# overheads.
SVM_M = (12_000, 200)
# Reference samples: the leading block checked against float64 (float64 Jacobians: LeNet 0.9 GB,
# 10-output LeNet 1.7 GB, ResNet18 1.1 GB)
REFERENCE_M = {"scalar": (1_000, 50), "full": (200, 20), "resnet": (200, 12)}
# float32 kernels against float64 (without TF32 about 1e-6; TF32 would give about 1e-3)
GRAM_TOLERANCE = 1e-4
EIGEN_TOLERANCE = 1e-8
SVM_TOL = 1e-2
# Snakemake: the whole of figures/fig7.pdf on the default configuration (on the H200 its Gram
# matrices of 5,000 MNIST digits take seconds; the CPU-bound jobs, training and plotting, set its
# time: a few minutes). --small: .test/config.yaml, and only the jobs up to the kernel at
# initialization (the first job that uses compute.device), as the whole figure takes over a minute
# on a 2-core CPU.
SNAKEMAKE_UNTIL = (None, "kernel_init")
# The whole check: 10 minutes on the device less a margin for the start and the copies back
BUDGET_SECONDS = 540
COLUMNS = ["item", "size", "seconds", "peak GPU memory", "error vs float64", "result", "note"]


@dataclass
class Outcome:
    error: float | None = None
    passed: bool = True
    note: str = ""


def pick(sizes: tuple, small: bool):
    """The --small value of a (full, --small) pair, or the full one."""
    return sizes[1] if small else sizes[0]


def network(arch: str, shape, options=None) -> torch.nn.Module:
    return initialize(build_model(arch, shape, options or {}), "lecun-normal", 0).eval()


def random_inputs(m: int, shape, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).standard_normal((m, *shape)).astype(np.float32))


def gram_error(model, x, K, outputs: str, r: int, device) -> float:
    """Relative Frobenius error of K's leading r x r block against float64 torch.func Jacobians."""
    J = per_sample_jacobian(model.double().to(device), x[:r].double().to(device), chunk=50)
    ref = jacobian_kernel(J, J, outputs).cpu()
    del J
    return float(torch.linalg.norm(K[:r, :r].double() - ref) / torch.linalg.norm(ref))


def check_gram(arch, shape, options, outputs, m, r, device) -> Outcome:
    model, x = network(arch, shape, options), random_inputs(m, shape)
    K = ntk.gram(model, x, outputs=outputs, device=device)
    expected = (m, m) if outputs == "scalar" else (m, m, 10, 10)
    if tuple(K.shape) != expected:
        return Outcome(None, False, f"shape {tuple(K.shape)}, expected {expected}")
    error = gram_error(model, x, K, outputs, r, device)
    return Outcome(error, error < GRAM_TOLERANCE)


def check_eigen(m, k, device) -> Outcome:
    g = torch.Generator(device=device).manual_seed(0)
    A = torch.randn(m, m // 4, generator=g, device=device, dtype=torch.float64)
    K = (A @ A.T / A.shape[1]).cpu().numpy()  # PSD, rank m/4: a spread spectrum and a null space
    del A
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()  # eigendecompose's memory check counts torch's cached blocks as taken
    values, vectors = spectra.eigendecompose(K, k, device=device)
    Kd = torch.as_tensor(K, device=device)
    V = torch.as_tensor(vectors.T.copy(), device=device)
    lam = torch.as_tensor(values.copy(), device=device)
    residual = float(torch.linalg.norm(Kd @ V - V * lam, dim=0).max() / lam[0])
    return Outcome(residual, residual < EIGEN_TOLERANCE and bool(np.all(np.diff(values) <= 0)))


@dataclass
class SvmProblem:
    """A LeNet NTK (float64) of two classes of MNIST-shaped inputs, ±(a fixed pattern) plus noise,
    and the exact solver's upper bound on its margin once known."""

    K: np.ndarray
    y: np.ndarray
    exact_upper_bound: float | None = None

    @classmethod
    def build(cls, m: int, device) -> "SvmProblem":
        g = np.random.default_rng(1)
        y = np.where(np.arange(m) % 2 == 0, 1.0, -1.0)
        pattern = g.standard_normal(MNIST)
        x = (g.standard_normal((m, *MNIST)) + 0.5 * y[:, None, None, None] * pattern).astype(np.float32)
        return cls(ntk.gram(network("lenet", MNIST), x, device=device).double().numpy(), y)


def check_svm(problem: SvmProblem, solver: str, device) -> Outcome:
    if solver == "exact":
        fit = hard_margin_svm(problem.K, problem.y, tol=SVM_TOL)
        problem.exact_upper_bound = fit.margin_upper_bound
        return Outcome(fit.gap, fit.converged, f"margin {fit.margin:.5g}, {fit.iterations:,} SMO iterations")
    fit = hard_margin_svm(problem.K, problem.y, solver="jst1", tol=SVM_TOL, device=device)
    note = f"margin {fit.margin:.5g}, {fit.iterations:,} steps"
    if problem.exact_upper_bound is None:
        return Outcome(None, fit.converged, f"{note}; no exact margin to compare with")
    shortfall = 1 - fit.margin / problem.exact_upper_bound
    return Outcome(shortfall, fit.converged and shortfall <= SVM_TOL, note)


def check_snakemake(device, small: bool, workflow_config, timeout: float) -> Outcome:
    until = pick(SNAKEMAKE_UNTIL, small)
    if importlib.util.find_spec("snakemake") is None:
        return Outcome(None, False, f"snakemake is not installed for {sys.executable}")
    config = workflow_config or (".test/config.yaml" if small else None)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        work = copy_workflow(Path(tmp) / "repo")
        if workflow_config:
            (work / "check-config.yaml").write_bytes(Path(workflow_config).read_bytes())
            config = "check-config.yaml"
        cmd = [sys.executable, "-m", "snakemake", "--cores", str(os.cpu_count()), "figures/fig7.pdf",
               *(["--configfile", config] if config else []), *(["--until", until] if until else []),
               "--config", f"compute={{device: {device}}}"]
        # the copy's library first; the rest of the path still holds packages installed beside it
        path = [str(work / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        try:
            proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return Outcome(None, False, f"stopped at the time budget left ({timeout:.0f} s)")
        if proc.returncode != 0:
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            return Outcome(None, False, f"exit {proc.returncode}: {lines[-1][:200] if lines else 'no output'}")
        if until is None and not (work / "figures" / "fig7.pdf").is_file():
            return Outcome(None, False, "finished without figures/fig7.pdf")
        return Outcome(None, True, f"config {config or 'config/config.yaml'}" + (f", --until {until}" if until else ""))


def items(args):
    """(name, size, thunk) of every item, in the order they run."""
    small, dev = args.small, args.device
    m_lenet, m_full, m_resnet = (pick(s, small) for s in (GRAM_LENET_M, GRAM_LENET_FULL_M, GRAM_RESNET_M))
    m_eigen, k_eigen, m_svm = pick(EIGEN_M, small), pick(EIGEN_K, small), pick(SVM_M, small)
    ref = {key: min(pick(value, small), m) for (key, value), m in
           zip(REFERENCE_M.items(), (m_lenet, m_full, m_resnet))}

    @functools.cache
    def svm_problem():  # built by the first SVM item (its time counts there), shared by both
        return SvmProblem.build(m_svm, dev)

    return [
        ("gram lenet scalar", f"m={m_lenet:,}",
         lambda: check_gram("lenet", MNIST, {}, "scalar", m_lenet, ref["scalar"], dev)),
        ("gram lenet full (10 outputs)", f"m={m_full:,}",
         lambda: check_gram("lenet", MNIST, {"outputs": 10}, "full", m_full, ref["full"], dev)),
        ("gram resnet18 width 16 scalar", f"m={m_resnet:,}",
         lambda: check_gram("resnet18", CIFAR, {"width": 16}, "scalar", m_resnet, ref["resnet"], dev)),
        ("eigendecompose float64", f"m={m_eigen:,}, k={k_eigen:,}", lambda: check_eigen(m_eigen, k_eigen, dev)),
        ("svm exact (incl. Gram)", f"m={m_svm:,}", lambda: check_svm(svm_problem(), "exact", dev)),
        ("svm jst1 float32", f"m={m_svm:,}", lambda: check_svm(svm_problem(), "jst1", dev)),
        ("snakemake figures/fig7.pdf", "toy (.test/config.yaml)" if small else "m=5,000 (config/config.yaml)",
         lambda: check_snakemake(dev, small, args.workflow_config, args.budget - (time.monotonic() - args.started))),
    ]


def run_item(thunk, device) -> tuple[Outcome, float, int | None]:
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    try:
        outcome = thunk()
    except Exception as e:  # a failed item is a row; the others still run
        traceback.print_exc()
        outcome = Outcome(None, False, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}")
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() if cuda else None
    gc.collect()
    return outcome, seconds, peak


def row(name, size, outcome: Outcome | None, seconds=None, peak=None, skipped="") -> dict:
    if outcome is None:
        return dict(zip(COLUMNS, [name, size, "", "", "", "skipped", skipped]))
    return dict(zip(COLUMNS, [
        name, size, f"{seconds:.1f}", "-" if peak is None else f"{peak / 2**30:.2f} GiB",
        "" if outcome.error is None else f"{outcome.error:.1e}", "pass" if outcome.passed else "FAIL", outcome.note,
    ]))


def markdown(header: list[str], rows: list[dict]) -> str:
    lines = [*header, "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r[c].replace("|", "/") for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def as_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_table(path: Path, header: list[str], rows: list[dict]) -> None:
    """The table so far, replaced whole (a reader never sees half a file)."""
    text = as_csv(rows) if path.suffix == ".csv" else markdown(header, rows)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def describe_machine(device: str) -> list[str]:
    if torch.device(device).type == "cuda":
        props = torch.cuda.get_device_properties(device)
        name = f"{props.name}, {props.total_memory / 2**30:.0f} GiB"
    else:
        name = f"CPU, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"
    return [f"torch {torch.__version__}, CUDA {torch.version.cuda or 'none'}, device {device}: {name}",
            f"TF32 matmul allowed: {torch.backends.cuda.matmul.allow_tf32} (ntkrepro turns it off inside its calls)"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    p.add_argument("--small", action="store_true", help="toy sizes (m of a few hundred) and .test/config.yaml")
    p.add_argument("--out", type=Path, help="also write the table here (.csv: CSV, else Markdown)")
    p.add_argument("--budget", type=float, default=BUDGET_SECONDS,
                   help=f"seconds for all items; the ones left after it are skipped (default {BUDGET_SECONDS})")
    p.add_argument("--workflow-config", help="a config file for the Snakemake item (merged over config/config.yaml)")
    args = p.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error(f"--device cuda: torch {torch.__version__} sees no CUDA device (use --device cpu)")
    if args.out is not None and not args.out.parent.is_dir():
        p.error(f"--out {args.out}: folder {args.out.parent} does not exist")
    if args.workflow_config and not Path(args.workflow_config).is_file():
        p.error(f"--workflow-config {args.workflow_config}: no such file")
    if args.budget <= 0:
        p.error(f"--budget must be positive, got {args.budget}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    args.started = time.monotonic()
    header = describe_machine(args.device)
    print("\n".join(header), flush=True)
    rows = []
    for name, size, thunk in items(args):
        spent = time.monotonic() - args.started
        if spent > args.budget:
            rows.append(row(name, size, None, skipped=f"the budget of {args.budget:.0f} s was spent ({spent:.0f} s)"))
        else:
            rows.append(row(name, size, *run_item(thunk, args.device)))
        print(" | ".join(rows[-1][c] for c in COLUMNS), flush=True)
        if args.out is not None:
            write_table(args.out, header, rows)
    print("\n" + markdown(header, rows), flush=True)
    return 0 if all(r["result"] == "pass" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
