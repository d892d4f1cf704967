"""Infinite-width kernels: ntkrepro.infinite against neural-tangents' stax, values and time.

    python benchmarks/infinite_vs_nt.py      # about a minute on 2 CPU cores
    OMP_NUM_THREADS=1 python benchmarks/infinite_vs_nt.py   # both libraries on one thread

Networks (NTK parameterization, W_std √2 and b_std 0.1 in the hidden layers, readout W_std 1):
  mlp-relu  [Dense, Relu] x 2, Dense on m = 500 vectors of 64 features
  mlp-erf   [Dense, Erf] x 2, Dense on the same vectors
  cnn-relu  [Conv 3x3 SAME, Relu] x 2, Flatten, Dense on m = 100 images of 3 x 8 x 8
Both compute the NNGP and the NTK of x against itself in float64. neural-tangents runs in
benchmarks/.venv-nt (see benchmarks/README.md; created on first use as gram_benchmark.py does), with
``kernel_fn`` jit-compiled; its time is reported with and without the compilation (second call).
ntkrepro's is the faster of two calls. Reported: the relative error max|K − K_nt| / max|K_nt| of
each kernel (target ≤ 1e-6). Results go to benchmarks/out/infinite_vs_nt.{json,md}.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gram_benchmark import nt_python  # noqa: E402

from ntkrepro.infinite import Conv, Dense, Erf, Flatten, Relu, serial  # noqa: E402

W_STD, B_STD, READOUT_STD = math.sqrt(2.0), 0.1, 1.0
TARGET = 1e-6


def networks():
    def hidden(layer, activation):
        return [layer, activation] * 2

    readout = Dense(W_std=READOUT_STD, b_std=B_STD)
    dense = Dense(W_std=W_STD, b_std=B_STD)
    conv = Conv(3, W_std=W_STD, b_std=B_STD)
    g = torch.Generator().manual_seed(0)
    vectors = torch.randn(500, 64, generator=g, dtype=torch.float64)
    images = torch.randn(100, 3, 8, 8, generator=g, dtype=torch.float64)
    return {
        "mlp-relu": (serial(*hidden(dense, Relu()), readout), vectors),
        "mlp-erf": (serial(*hidden(dense, Erf()), readout), vectors),
        "cnn-relu": (serial(*hidden(conv, Relu()), Flatten(), readout), images),
    }


def child_environment() -> dict:
    """neural-tangents on as many threads as torch: XLA's CPU backend ignores OMP_NUM_THREADS."""
    env = dict(os.environ)
    if torch.get_num_threads() == 1:
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                            "intra_op_parallelism_threads=1").strip()
    return env


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


def main():
    nt = nt_python()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (network, x) in networks().items():
            times = []
            for _ in range(2):
                t0 = time.perf_counter()
                nngp, ntk = network(x, get=("nngp", "ntk"), device="cpu")
                times.append(time.perf_counter() - t0)
            row = {"network": name, "m": len(x), "input": "x".join(map(str, x.shape[1:])), "ntkrepro_s": min(times)}
            if nt is not None:
                inputs, out = Path(tmp) / f"{name}.npz", Path(tmp) / f"{name}-nt.npz"
                np.savez(inputs, x=x.numpy())
                cmd = [str(nt), str(HERE / "infinite_nt_child.py"), "--net", name, "--inputs", str(inputs),
                       "--out", str(out), "--w-std", repr(W_STD), "--b-std", repr(B_STD),
                       "--readout-std", repr(READOUT_STD)]
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=child_environment())
                if proc.returncode != 0:
                    raise SystemExit(f"neural-tangents failed on {name}:\n{proc.stderr[-2000:]}")
                timing = json.loads(proc.stdout.strip().splitlines()[-1])
                ref = np.load(out)
                row.update(nt_s=timing["seconds"], nt_with_compile_s=timing["seconds_with_compile"],
                           nngp_error=relative_error(nngp.numpy(), ref["nngp"]),
                           ntk_error=relative_error(ntk.numpy(), ref["ntk"]))
            rows.append(row)
            print(json.dumps(row), flush=True)
    lines = ["| network | m | input | ntkrepro (s) | neural-tangents (s) | NT with compile (s) | NNGP rel. error | "
             "NTK rel. error | target ≤ 1e-6 |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ok = max(r.get("nngp_error", math.inf), r.get("ntk_error", math.inf)) <= TARGET
        lines.append(f"| {r['network']} | {r['m']} | {r['input']} | {r['ntkrepro_s']:.3f} | "
                     f"{r.get('nt_s', math.nan):.3f} | "
                     f"{r.get('nt_with_compile_s', math.nan):.2f} | {r.get('nngp_error', math.nan):.1e} | "
                     f"{r.get('ntk_error', math.nan):.1e} | {'met' if ok else 'missed'} |")
    table = "\n".join(lines)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads", table, sep="\n")
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "infinite_vs_nt.json").write_text(json.dumps(rows, indent=1))
    (out_dir / "infinite_vs_nt.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
