"""Figures 6 and 7: the singular spectra of the Jacobian (or of its kernel) at each width, their
effective rank, rank, smallest non-zero value and condition number."""

from __future__ import annotations

import numpy as np

from ... import analysis, io
from .common import check_samples, classes, width_variant

def spectrum_requests(ctx, *, model: str, datasets: list[tuple[str, str]], width_list, key: str = "model") -> list:
    """(labels, Eigenvalues) of the full 10-output NTK J Jᵀ at θ0 of ``jacobian_samples`` training
    samples (class-stratified, drawn per seed), for each (role, dataset) and width."""
    from ...pipeline import Eigenvalues, Kernel

    n = ctx.paper["jacobian_samples"]
    out = []
    for role, dataset in datasets:
        check_samples(ctx, n, dataset)
        for w in width_list:
            name = width_variant(ctx, model, w, key, outputs=classes(ctx, dataset))
            kernel = Kernel(ctx.state(name, dataset=dataset), samples=f"classes-n{n}", split="train", kind="ntk-full")
            outputs = ctx.plan.model_spec(name)["options"].get("outputs", 1)
            out.append(({"role": role, "dataset": dataset, "width": w, "rows": n * outputs}, Eigenvalues(kernel)))
    return out


def spectrum(eigenvalues: np.ndarray, rtol: float, of: str) -> dict:
    """Effective ranks and the singular spectrum of J (``of="jacobian"``: σ(J) = √λ) or of J Jᵀ
    (``of="kernel"``: its singular values λ) from the eigenvalues λ of J Jᵀ. Eigenvalues at most
    rtol·λ_max (and negative ones, rounding) count as zero."""
    lam = np.clip(np.sort(np.asarray(eigenvalues, dtype=np.float64))[::-1], 0.0, None)
    s = analysis.singular_spectrum(lam, rtol=rtol)
    values = s.values if of == "jacobian" else s.values**2
    smallest = float(values[s.rank - 1]) if s.rank else float("nan")
    return {
        "erank_jacobian": analysis.effective_rank(lam, of="singular", rtol=rtol),
        "erank_kernel": analysis.effective_rank(lam, of="eigen", rtol=rtol),
        "values": values,
        "rank": s.rank,
        "smallest_nonzero": smallest,
        "condition_number": float(values[0] / smallest) if s.rank else float("nan"),
    }


def read_eigenvalues(path) -> np.ndarray:
    return io.read_csv(path)["eigenvalue"]


def steps(values: np.ndarray) -> np.ndarray:
    """Ratios of successive values (the change from one width to the next)."""
    values = np.asarray(values, dtype=np.float64)
    return values[1:] / values[:-1]


