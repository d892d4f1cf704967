"""Empirical-NTK Gram matrices and eigendecompositions: ntkrepro against the alternatives, in one
run, on the same networks, inputs and machine.

    python benchmarks/gram_benchmark.py              # everything (several hours on 2 CPU cores)
    python benchmarks/gram_benchmark.py --quick      # m = 1000 and 2000 only
    python benchmarks/gram_benchmark.py --contention # every run also beside a competing CPU-bound process

Kernels (--kernels): "scalar" (every network, one output), and on LeNet: "full" (10 outputs, the
(m, m, 10, 10) kernel, neural-tangents' trace_axes=(); sizes --full-sizes), "trace" (10 outputs, the
mean over outputs, trace_axes=(-1,)), "per-layer" (one kernel per layer with parameters, from one
call of ntkrepro.ntk.gram_by_layer; neural-tangents: one call per layer, times added) and
"conjugate" (the Gram matrix of the last hidden layer; neural-tangents: empirical_nngp_fn of the
network without its last layer, times its width).

Methods, each run in a fresh subprocess (so its peak memory is its own):
  ntkrepro        ntkrepro.ntk.gram (layerwise structured/materialized features, upper-triangle tiles)
  torch.func      vmap(jacrev) per-sample Jacobians, then one J Jᵀ
  nt.batch-style  the authors' scheme: blocks of 500, both Jacobians recomputed for every block pair
  nt-structured   neural-tangents empirical_ntk_fn, STRUCTURED_DERIVATIVES, jit (compile excluded)
  nt-jacobian     neural-tangents empirical_ntk_fn, JACOBIAN_CONTRACTION, jit (compile excluded)
neural-tangents runs in its own virtual environment (benchmarks/.venv-nt, created on first use with
`pip install "jax[cpu]==0.4.23" "jaxlib==0.4.23" "neural-tangents==0.6.5" "numpy<2"`); where that
fails its rows say so.

Reported per run: seconds; achieved GFLOP/s (the method's FLOPs: 1 + 2C forward passes per
per-sample Jacobian of C outputs it computes plus its contraction FLOPs); the ratio of the time to
that FLOP count at the machine's measured float32 GEMM rate ("x floor"); peak resident memory; the
relative Frobenius error of the leading block (1000 samples; 200 for the 10-output kernels) against a
float64 reference (torch.func in float64). With --contention, the seconds of the same run beside
a competing CPU-bound process (a Python busy loop) and the slowdown that gives.
Results go to benchmarks/out/ (JSON and a markdown table).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

HERE = Path(__file__).resolve().parent
NT_VENV = HERE / ".venv-nt"
NT_PACKAGES = ["jax[cpu]==0.4.23", "jaxlib==0.4.23", "neural-tangents==0.6.5", "numpy<2"]
INPUT_SHAPE = (3, 32, 32)
# Samples of the leading block checked against float64 (default 1000): the 10-output reference
# Jacobian takes 11 GB in float64 for 1000 LeNet samples
REFERENCE_SAMPLES = {"full": 200, "trace": 200}
NT_BATCH_BLOCK = 500
NETS = {"lenet": {}, "mlp": {"widths": [100, 100]}, "resnet18": {"width": 16}}
KERNELS = ["scalar", "full", "trace", "per-layer", "conjugate"]
OUTPUTS = {"full": 10, "trace": 10}  # network outputs per kernel (default 1)
MULTI_KERNEL_NETS = ["lenet"]  # the networks the kernels other than "scalar" run on
TORCH_METHODS = ["ntkrepro", "torch.func", "nt.batch-style"]
NT_METHODS = {"nt-structured": "structured", "nt-jacobian": "jacobian", "nt-nngp": "nngp"}
METHODS = {
    "scalar": ["ntkrepro", "torch.func", "nt.batch-style", "nt-structured", "nt-jacobian"],
    "full": ["ntkrepro", "torch.func", "nt-structured", "nt-jacobian"],
    "trace": ["ntkrepro", "torch.func", "nt-structured", "nt-jacobian"],
    "per-layer": ["ntkrepro", "nt-structured", "nt-jacobian"],
    "conjugate": ["ntkrepro", "nt-nngp"],
}


# ------------------------------------------------------------------------------------------------
# networks and FLOP counts


def build(net: str, outputs: int = 1) -> nn.Module:
    """The workflow's network; with ``outputs`` > 1 its last layer has that many outputs."""
    from ntkrepro.models import build_model, initialize

    model = build_model(net, INPUT_SHAPE, NETS[net])
    if outputs > 1:
        model = MultiOutput(model, outputs)
    return initialize(model, "lecun-normal", 0).eval()


class MultiOutput(nn.Module):
    """A workflow network whose last nn.Linear has ``outputs`` outputs (and no squeeze)."""

    def __init__(self, model: nn.Module, outputs: int):
        super().__init__()
        parent_name, _, attr = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)][-1].rpartition(".")
        parent = model.get_submodule(parent_name)
        last = getattr(parent, attr) if not attr.isdigit() else parent[int(attr)]
        replacement = nn.Linear(last.in_features, outputs)
        if attr.isdigit():
            parent[int(attr)] = replacement
        else:
            setattr(parent, attr, replacement)
        self.model = model

    def forward(self, x):
        return self.model(x).reshape(len(x), -1)


def forward_flops(model: nn.Module) -> float:
    """FLOPs of one forward pass of one sample (2 per multiply-add of convolutions and dense layers)."""
    total = 0.0

    def hook(m, inputs, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            total += 2.0 * out[0].numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1] / m.groups
        elif isinstance(m, nn.Linear):
            total += 2.0 * m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, *INPUT_SHAPE))
    for h in handles:
        h.remove()
    return total


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def computation(model: nn.Module, kernel: str, m: int):
    """ntkrepro's plan for ``kernel`` at m samples (its tiling and per-entry FLOPs)."""
    from ntkrepro.ntk.engine import GramComputation

    x = torch.zeros(m, *INPUT_SHAPE)
    if kernel == "conjugate":
        return GramComputation(model, x, kind="conjugate", device="cpu")
    outputs = {"full": "full", "trace": "trace"}.get(kernel, "scalar")
    groups = [n for n, mod in model.named_modules() if list(mod.parameters(recurse=False))] if kernel == "per-layer" else None
    return GramComputation(model, x, outputs=outputs, groups=groups, device="cpu")


def method_flops(method: str, kernel: str, m: int, fp: float, p: int, comp) -> float:
    """FLOPs of ``method``: per-sample Jacobians (1 + 2C forward passes each) plus the contraction."""
    c = OUTPUTS.get(kernel, 1)
    jac = (1 + 2 * c) * fp if kernel != "conjugate" else fp
    rows = m * c if kernel == "full" else m  # rows of the contracted matrix
    width = p * (c if kernel == "trace" else 1) if kernel != "conjugate" else comp.pair_flops / 2
    if method == "ntkrepro":
        return jac * m + comp.entries() * comp.pair_flops
    if method in ("torch.func", "nt-jacobian"):
        return jac * m + 2.0 * rows * rows * width
    if method == "nt.batch-style":
        blocks = -(-m // NT_BATCH_BLOCK)
        return blocks * blocks * (2 * NT_BATCH_BLOCK * jac + 2.0 * NT_BATCH_BLOCK**2 * p)
    if method in ("nt-structured", "nt-nngp"):
        return jac * m + m * m * comp.pair_flops
    raise ValueError(method)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_gemm_rate() -> float:
    a = torch.randn(4096, 4096)
    a @ a
    t0 = time.perf_counter()
    for _ in range(3):
        a @ a
    return 3 * 2 * 4096**3 / (time.perf_counter() - t0)


# ------------------------------------------------------------------------------------------------
# the methods (run in child processes)


def per_sample_jacobian(model: nn.Module, x: torch.Tensor, chunk: int = 250) -> torch.Tensor:
    """(m, C, P) per-sample Jacobians from vmap(jacrev)."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def f(p, xi):
        return functional_call(model, (p, buffers), (xi.unsqueeze(0),)).reshape(-1)

    jac = vmap(jacrev(f), in_dims=(None, 0))
    rows = []
    for s in range(0, len(x), chunk):
        j = jac(params, x[s : s + chunk])
        rows.append(torch.cat([t.reshape(*t.shape[:2], -1) for t in j.values()], dim=2))
    return torch.cat(rows)


def jacobian_kernel(j1: torch.Tensor, j2: torch.Tensor, kernel: str) -> torch.Tensor:
    """The kernel from per-sample Jacobians (m, C, P): (m1, m2) or, for "full", (m1, m2, C, C)."""
    m1, c, _ = j1.shape
    m2 = len(j2)
    if kernel == "full":
        return (j1.reshape(m1 * c, -1) @ j2.reshape(m2 * c, -1).T).view(m1, c, m2, c).permute(0, 2, 1, 3)
    return (j1.reshape(m1, -1) @ j2.reshape(m2, -1).T) / c


def layer_names(model: nn.Module) -> list[str]:
    return [n for n, mod in model.named_modules() if list(mod.parameters(recurse=False))]


def reference(model: nn.Module, kernel: str, x: torch.Tensor) -> np.ndarray:
    """The float64 reference of ``kernel`` on ``x``, from torch.func Jacobians (or forward hooks)."""
    model = model.double()
    x = x.double()
    try:
        if kernel == "conjugate":
            last = [mod for mod in model.modules() if isinstance(mod, nn.Linear)][-1]
            seen = []
            handle = last.register_forward_hook(lambda mod, i, o: seen.append(i[0].reshape(len(x), -1)))
            with torch.no_grad():
                model(x)
            handle.remove()
            return (seen[0] @ seen[0].T).numpy()
        J = per_sample_jacobian(model, x)
        if kernel != "per-layer":
            return jacobian_kernel(J, J, kernel).numpy()
        sizes = [sum(p.numel() for p in model.get_submodule(n).parameters(recurse=False)) for n in layer_names(model)]
        return np.stack([(j[:, 0] @ j[:, 0].T).numpy() for j in torch.split(J, sizes, dim=2)])
    finally:
        model.float()


def run_torch_method(method: str, kernel: str, model: nn.Module, x: torch.Tensor) -> np.ndarray:
    from ntkrepro import ntk

    if method == "ntkrepro":
        if kernel == "conjugate":
            return ntk.kernel(model, x, kind="conjugate").numpy()
        if kernel == "per-layer":
            return np.stack([k.numpy() for k in ntk.gram_by_layer(model, x).values()])
        return ntk.gram(model, x, outputs=kernel if kernel in ("full", "trace") else "scalar").numpy()
    if method == "torch.func":
        J = per_sample_jacobian(model, x)
        return jacobian_kernel(J, J, kernel).numpy()
    if method == "nt.batch-style":
        m, b = len(x), NT_BATCH_BLOCK
        K = np.empty((m, m), dtype=np.float32)
        for i in range(0, m, b):
            for j in range(0, m, b):
                Ji, Jj = per_sample_jacobian(model, x[i : i + b]), per_sample_jacobian(model, x[j : j + b])
                K[i : i + b, j : j + b] = jacobian_kernel(Ji, Jj, kernel).numpy()
        return K
    raise ValueError(method)


def relative_error(K: np.ndarray, ref: np.ndarray) -> float:
    """Relative Frobenius error of the leading block of ``K`` (per-layer: of every layer's block)."""
    r = ref.shape[-1] if ref.ndim == 3 else ref.shape[0]
    block = K[..., :r, :r] if ref.ndim == 3 else K[:r, :r]
    return float(np.linalg.norm(block - ref) / np.linalg.norm(ref))


def peak_bytes() -> int:
    """High-water mark of this process's resident memory (VmHWM: unlike ru_maxrss, not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(args) -> None:
    torch.set_num_threads(args.threads)
    work = Path(args.work)
    model = build(args.net, OUTPUTS.get(args.kernel, 1))
    x = torch.from_numpy(np.load(work / "inputs.npy")[: args.m])
    if args.method == "ntkrepro-hdf5":
        from ntkrepro import ntk

        baseline = peak_bytes()
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            t0 = time.perf_counter()
            ntk.write_gram(model, x, Path(tmp) / "gram.h5")
            seconds = time.perf_counter() - t0
        print(json.dumps({"seconds": seconds, "peak_bytes": peak_bytes(), "baseline_bytes": baseline, "error": None}))
        return
    run_torch_method(args.method, args.kernel, model, x[: min(64, args.m)])  # warm-up
    t0 = time.perf_counter()
    K = run_torch_method(args.method, args.kernel, model, x)
    seconds = time.perf_counter() - t0
    error = relative_error(K, np.load(work / f"reference-{args.net}-{args.kernel}.npy"))
    print(json.dumps({"seconds": seconds, "peak_bytes": peak_bytes(), "error": error}))


# ------------------------------------------------------------------------------------------------
# the driver


def nt_python() -> Path | None:
    python = NT_VENV / "bin" / "python"
    if python.exists():
        return python
    print(f"creating {NT_VENV} for neural-tangents ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(NT_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *NT_PACKAGES], check=True)
        return python
    except (subprocess.CalledProcessError, OSError) as e:
        print(f"neural-tangents could not be installed ({e}); its rows are skipped", flush=True)
        return None


def stax_parameters(model: nn.Module, net: str) -> dict[str, np.ndarray]:
    """PyTorch parameters in stax layout and order (convs HWIO, dense (in, out), NHWC flatten)."""
    out, flatten_pending = [], True
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            out.append(m.weight.detach().numpy().transpose(2, 3, 1, 0))
            if m.bias is not None:
                out.append(m.bias.detach().numpy())
        elif isinstance(m, nn.Linear):
            w = m.weight.detach().numpy()
            if flatten_pending:  # the first dense layer reads a flattened NCHW tensor; stax flattens NHWC
                c = 3 if net == "mlp" else 16
                side = int(round((w.shape[1] / c) ** 0.5))
                w = w.reshape(w.shape[0], c, side, side).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
                flatten_pending = False
            out += [w.T, m.bias.detach().numpy()]
    return {f"p{i}": a for i, a in enumerate(out)}


def run_child(cmd: list[str], timeout: float) -> dict:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the {timeout:.0f} s limit"}
    if proc.returncode != 0:
        why = "killed (out of memory?)" if proc.returncode < 0 else proc.stderr.strip().splitlines()[-1][:200]
        return {"skipped": why}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_beside_competitor(cmd: list[str], timeout: float) -> dict:
    """``run_child`` while another process keeps one CPU core busy (a Python busy loop)."""
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it take its core
        return run_child(cmd, timeout)
    finally:
        competitor.kill()
        competitor.wait()


def cases(args) -> list[tuple[str, str]]:
    """(network, kernel) pairs to run: "scalar" on every network, the other kernels on LeNet."""
    out = []
    for kernel in args.kernels:
        nets = args.nets if kernel == "scalar" else [n for n in args.nets if n in MULTI_KERNEL_NETS]
        out += [(net, kernel) for net in nets]
    return out


def gram_benchmarks(args, work: Path, rate: float) -> list[dict]:
    rows = []
    nt = nt_python() if not args.no_nt and set(args.methods) & set(NT_METHODS) else None
    g = np.random.default_rng(0)
    x_all = g.standard_normal((max(args.sizes + args.full_sizes), *INPUT_SHAPE)).astype(np.float32)
    np.save(work / "inputs.npy", x_all)
    available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    for net, kernel in cases(args):
        sizes = args.full_sizes if kernel == "full" else args.sizes
        outputs = OUTPUTS.get(kernel, 1)
        model = build(net, outputs)
        fp, p = forward_flops(model), n_params(model)
        r = min(REFERENCE_SAMPLES.get(kernel, 1000), max(sizes))
        np.save(work / f"reference-{net}-{kernel}.npy", reference(model, kernel, torch.from_numpy(x_all[:r])))
        params = work / f"params-{net}-{kernel}.npz"
        comparable = net != "resnet18"  # stax has no BatchNorm: timing only
        if comparable:
            np.savez(params, **stax_parameters(model, net))
        last: dict[str, tuple[int, float]] = {}
        for m in sizes:
            comp = computation(model, kernel, m)
            methods = [x for x in METHODS[kernel] if x in args.methods and (nt or x not in NT_METHODS)]
            for method in methods:
                row = {"net": net, "kernel": kernel, "params": p, "m": m, "method": method}
                jacobian_bytes = 4.0 * m * p * outputs
                if method in ("torch.func", "nt-jacobian") and jacobian_bytes > 0.5 * available:
                    row["skipped"] = f"J needs {jacobian_bytes / 2**30:.0f} GiB"
                elif method in last and last[method][1] * (m / last[method][0]) ** 2 > args.time_limit:
                    row["skipped"] = f"estimated {last[method][1] * (m / last[method][0]) ** 2:.0f} s"
                else:
                    if method in NT_METHODS:
                        np.save(work / f"inputs-{m}.npy", x_all[:m])
                        cmd = [str(nt), str(HERE / "nt_child.py"), "--net", net, "--width", str(NETS["resnet18"]["width"]),
                               "--kernel", kernel, "--outputs", str(outputs), "--implementation", NT_METHODS[method],
                               "--inputs", str(work / f"inputs-{m}.npy")]
                        if comparable:
                            cmd += ["--params", str(params), "--reference", str(work / f"reference-{net}-{kernel}.npy")]
                    else:
                        cmd = [sys.executable, __file__, "--child", "--method", method, "--net", net, "--kernel", kernel,
                               "--m", str(m), "--work", str(work), "--threads", str(args.threads)]
                    row.update(run_child(cmd, args.time_limit))
                    if "seconds" in row:
                        last[method] = (m, row["seconds"])
                        flops = method_flops(method, kernel, m, fp, p, comp)
                        row["gflops"] = flops / row["seconds"] / 1e9
                        row["x_floor"] = row["seconds"] / (flops / rate)
                        if args.contention:
                            busy = run_beside_competitor(cmd, args.time_limit)
                            row["seconds_contended"] = busy.get("seconds")
                rows.append(row)
                print(format_row(row), flush=True)
    if "lenet" in args.nets and args.hdf5:
        m = max(args.sizes)
        row = {"net": "lenet", "kernel": "scalar", "params": n_params(build("lenet")), "m": m, "method": "ntkrepro-hdf5"}
        row.update(run_child([sys.executable, __file__, "--child", "--method", "ntkrepro-hdf5", "--net", "lenet",
                              "--kernel", "scalar", "--m", str(m), "--work", str(work), "--threads", str(args.threads)],
                             args.time_limit))
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def eigen_benchmarks(args, work: Path) -> list[dict]:
    """Top-K eigenpairs of a LeNet NTK Gram matrix: LAPACK drivers, torch, and ntkrepro's choice."""
    import scipy.linalg

    from ntkrepro import ntk, spectra

    rows = []
    g = np.random.default_rng(1)
    for m in args.eigen_sizes:
        x = torch.from_numpy(g.standard_normal((m, *INPUT_SHAPE)).astype(np.float32))
        K = ntk.gram(build("lenet"), x).numpy().astype(np.float64)
        k = min(args.eigen_k, m)
        full = None
        candidates = {
            "scipy evr (subset)": lambda A: scipy.linalg.eigh(A, subset_by_index=[m - k, m - 1], driver="evr", check_finite=False),
            "scipy evx (subset)": lambda A: scipy.linalg.eigh(A, subset_by_index=[m - k, m - 1], driver="evx", check_finite=False),
            "scipy evd (full)": lambda A: scipy.linalg.eigh(A, driver="evd", check_finite=False),
            "torch.linalg.eigh (full)": lambda A: tuple(t.numpy() for t in torch.linalg.eigh(torch.from_numpy(A))),
            "ntkrepro eigendecompose": lambda A: spectra.eigendecompose(A, k, device="cpu"),
        }
        for name, fn in candidates.items():
            A = K.copy()
            t0 = time.perf_counter()
            values, _ = fn(A)
            seconds = time.perf_counter() - t0
            top = np.sort(values)[::-1][:k]
            if name == "scipy evd (full)":
                full = top
            rows.append({"m": m, "k": k, "method": name, "seconds": seconds, "top": top})
        for row in rows:
            if row["m"] == m:
                row["error"] = float(np.max(np.abs(row.pop("top") - full) / np.abs(full)))
                print(f"eigen m={m} k={k} {row['method']:28s} {row['seconds']:8.2f} s  max rel err {row['error']:.1e}", flush=True)
    return rows


def format_row(r: dict) -> str:
    head = f"{r['net']:9s} {r['kernel']:9s} m={r['m']:<6d} {r['method']:15s}"
    if "skipped" in r:
        return f"{head} skipped: {r['skipped']}"
    err = f"{r['error']:.1e}" if r.get("error") is not None else "n/a"
    extra = f" {r.get('gflops', 0):7.1f} GFLOP/s  x{r.get('x_floor', 0):5.2f} floor" if "gflops" in r else ""
    busy = f"  beside a busy core {r['seconds_contended']:8.2f} s" if r.get("seconds_contended") else ""
    return f"{head} {r['seconds']:8.2f} s{extra}  peak {r['peak_bytes'] / 2**20:7.0f} MiB  err {err}{busy}"


def markdown(gram_rows: list[dict], eigen_rows: list[dict], info: dict) -> str:
    contention = any("seconds_contended" in r for r in gram_rows)
    lines = [f"Machine: {info['machine']}; torch {info['torch']}, {info['threads']} threads; "
             f"measured float32 GEMM rate {info['gemm_gflops']:.0f} GFLOP/s.", "",
             "| network | kernel | params | m | method | seconds | GFLOP/s | × floor | peak MiB | rel. error vs float64 "
             "| ntkrepro speed-up |" + (" seconds beside a busy core | slowdown |" if contention else ""),
             "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if contention else "")]
    ours = {(r["net"], r["kernel"], r["m"]): r["seconds"] for r in gram_rows if r["method"] == "ntkrepro" and "seconds" in r}
    for r in gram_rows:
        head = f"| {r['net']} | {r['kernel']} | {r['params']:,} | {r['m']:,} | {r['method']} |"
        if "skipped" in r:
            lines.append(f"{head} skipped: {r['skipped']} | | | | | |" + (" | |" if contention else ""))
            continue
        err = f"{r['error']:.1e}" if r.get("error") is not None else "n/a"
        speed = ours.get((r["net"], r["kernel"], r["m"]))
        up = f"{r['seconds'] / speed:.1f}×" if speed and r["method"] not in ("ntkrepro", "ntkrepro-hdf5") else ""
        gf = f"{r['gflops']:.0f}" if "gflops" in r else ""
        xf = f"{r['x_floor']:.2f}" if "x_floor" in r else ""
        peak = r["peak_bytes"] / 2**20
        if "baseline_bytes" in r:
            peak = f"{peak:.0f} ({(r['peak_bytes'] - r['baseline_bytes']) / 2**20:.0f} above start)"
        else:
            peak = f"{peak:.0f}"
        busy = ""
        if contention:
            b = r.get("seconds_contended")
            busy = f" {b:.2f} | {b / r['seconds']:.2f}× |" if b else " | |"
        lines.append(f"{head} {r['seconds']:.2f} | {gf} | {xf} | {peak} | {err} | {up} |{busy}")
    if eigen_rows:
        lines += ["", "| m | k | eigendecomposition | seconds | max rel. eigenvalue error vs evd |", "|---|---|---|---|---|"]
        for r in eigen_rows:
            lines.append(f"| {r['m']:,} | {r['k']:,} | {r['method']} | {r['seconds']:.2f} | {r['error']:.1e} |")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 10000])
    p.add_argument("--full-sizes", type=int, nargs="+", default=[600, 2000], help="m for the full 10-output kernel")
    p.add_argument("--nets", nargs="+", default=list(NETS), choices=list(NETS))
    p.add_argument("--kernels", nargs="+", default=KERNELS, choices=KERNELS)
    p.add_argument("--contention", action="store_true", help="also time every run beside a competing busy process")
    all_methods = TORCH_METHODS + list(NT_METHODS)
    p.add_argument("--methods", nargs="+", default=all_methods, choices=all_methods)
    p.add_argument("--time-limit", type=float, default=900.0, help="seconds per run; longer runs are skipped")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--eigen-sizes", type=int, nargs="*", default=[4000, 10000])
    p.add_argument("--eigen-k", type=int, default=1000)
    p.add_argument("--no-nt", action="store_true", help="leave neural-tangents out")
    p.add_argument("--no-hdf5", dest="hdf5", action="store_false", help="skip the m=max LeNet Gram-to-HDF5 memory run")
    p.add_argument("--quick", action="store_true", help="m = 1000 and 2000, no eigendecomposition")
    p.add_argument("--out", default=str(HERE / "out"))
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--method", help=argparse.SUPPRESS)
    p.add_argument("--net", help=argparse.SUPPRESS)
    p.add_argument("--kernel", default="scalar", help=argparse.SUPPRESS)
    p.add_argument("--m", type=int, help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args)
    if args.quick:
        args.sizes, args.full_sizes, args.eigen_sizes = [1000, 2000], [600], []
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    rate = machine_gemm_rate()
    info = {
        "machine": f"{cpu_name()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "torch": torch.__version__,
        "threads": args.threads,
        "gemm_gflops": rate / 1e9,
    }
    print(f"{info['machine']}; float32 GEMM {rate / 1e9:.0f} GFLOP/s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        gram_rows = gram_benchmarks(args, Path(tmp), rate)
        eigen_rows = eigen_benchmarks(args, Path(tmp)) if args.eigen_sizes else []
    (out / "results.json").write_text(json.dumps({"info": info, "gram": gram_rows, "eigen": eigen_rows}, indent=1))
    table = markdown(gram_rows, eigen_rows, info)
    (out / "results.md").write_text(table)
    print("\n" + table)


if __name__ == "__main__":
    main()
