"""How deep in the NTK spectrum eigenvectors stay meaningful, and how much of ResNet18 its
linearization at θ0 can move (paper 000 at laptop scale).

For each network (as the workflow builds it: the default config's models on mnist-5k, LeCun-normal
init, seed 42): the fraction of parameters whose gradient is non-zero on some sample, the Gram matrix
at θ0 on all 5,000 samples in float32 and in float64, their top-k eigenvectors (float64
eigendecomposition of each), and per index j: λ_j/λ_1, |cos| between the float32 and float64
eigenvectors, and the share of samples whose sign label sign(φ_j) agrees.

    python benchmarks/ortiz2021_precision.py [--k 1000] [--nets lenet resnet18-zero resnet18-one]
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from ntkrepro import data, ntk, spectra
from ntkrepro.models import build_model, initialize

NETS = {
    "lenet": ("lenet", {}),
    "mlp": ("mlp", {"widths": [100, 100]}),
    "resnet18-zero": ("resnet18", {"width": 4, "zero_init_residual": True}),
    "resnet18-one": ("resnet18", {"width": 4, "zero_init_residual": False}),
    "resnet18-gelu-zero": ("resnet18", {"width": 4, "zero_init_residual": True, "activation": "gelu"}),
    "resnet18-gelu-one": ("resnet18", {"width": 4, "zero_init_residual": False, "activation": "gelu"}),
}
REPORTED = [1, 10, 33, 42, 50, 100, 200, 400, 500, 800, 1000]


def live_fraction(model, x) -> tuple[int, int]:
    """(parameters with a non-zero gradient on some sample of x, all parameters)."""
    live = None
    for s in range(0, len(x), 250):
        model.zero_grad()
        model(x[s : s + 250]).pow(2).sum().backward()  # a sum of squares: no cancellation between samples
        nz = torch.cat([(p.grad != 0).reshape(-1) for p in model.parameters()])
        live = nz if live is None else live | nz
    return int(live.sum()), live.numel()


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--k", type=int, default=1000)
    p.add_argument("--nets", nargs="+", default=list(NETS))
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    ds = data.prepare({"name": "mnist-5k", "n_train": 4000, "n_test": 1000})
    x = ds.inputs("all")
    print(f"mnist-5k, m = {len(x)}, k = {args.k}, torch {torch.__version__}, {args.threads} threads\n")
    for name in args.nets:
        arch, options = NETS[name]
        model = initialize(build_model(arch, (1, 28, 28), options), "lecun-normal", 42)
        # on a copy: its training-mode passes move BatchNorm's running statistics, which the Gram uses
        live, total = live_fraction(copy.deepcopy(model), x)
        t0 = time.monotonic()
        K32 = ntk.gram(model, x, dtype=torch.float32).numpy()
        t32 = time.monotonic() - t0
        t0 = time.monotonic()
        K64 = ntk.gram(model, x, dtype=torch.float64).numpy()
        t64 = time.monotonic() - t0
        v32, phi32 = spectra.eigendecompose(K32.astype(np.float64), args.k)
        v64, phi64 = spectra.eigendecompose(K64, args.k)
        cos = np.abs(np.einsum("ij,ij->i", phi32, phi64))
        agree = np.mean(np.sign(phi32) * np.sign(phi64) > 0, axis=1)
        agree = np.maximum(agree, 1 - agree)  # an eigenvector's sign is arbitrary
        ratio = v64 / v64[0]
        above = int(np.sum(ratio > 1e-6))
        part = np.flatnonzero(cos < 0.99)
        print(f"## {name}: {live:,} of {total:,} parameters live ({live / total:.1%}); Gram float32 {t32:.1f} s, "
              f"float64 {t64:.1f} s; {above} eigenvalues above 1e-6·λ_1; float32/float64 eigenvectors part "
              f"(|cos| < 0.99) first at j = {part[0] + 1 if len(part) else 'none'}")
        print("| j | λ_j/λ_1 | \\|cos(φ32, φ64)\\| | sign agreement |\n|---|---|---|---|")
        for j in REPORTED:
            if j <= args.k:
                print(f"| {j} | {ratio[j - 1]:.2e} | {cos[j - 1]:.4f} | {agree[j - 1]:.3f} |")
        print()


if __name__ == "__main__":
    main()
