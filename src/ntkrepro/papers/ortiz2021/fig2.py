"""Figure 2: test accuracy of networks and their linearizations at θ0 trained on the binarized NTK
eigenfunctions sign(φ_j), against j; CIFAR2 as the baseline."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting, tables
from ...claims import Claim, check
from ...figure_stats import spearman
from ...pipeline import Needs
from .common import FORMS, INDICES, MODELS, eigenfunction_indices, eigenfunction_task, scale_text

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["models", "eigenfunctions"],
    "properties": {"models": MODELS, "eigenfunctions": INDICES},
}


def needs(ctx) -> Needs:
    s = ctx.section
    runs = []
    for model in s["models"]:
        for form in FORMS:
            for j in eigenfunction_indices(ctx, "eigenfunctions", s["eigenfunctions"]):
                task = eigenfunction_task(ctx, "eigenfunctions", j)
                runs.append(({"model": model, "kind": form, "task": "eigenfunction", "index": j},
                             ctx.run(task, model, form=form)))
            runs.append(({"model": model, "kind": form, "task": "cifar2", "index": 0}, ctx.run("cifar2", model, form=form)))
    return Needs({"metrics": runs})


def title(ctx) -> str:
    return f"Networks and linearizations on sign(φ_j) and CIFAR2 ({scale_text(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 2.** Test accuracy of networks (solid) and their linearizations at θ0 (dashed) trained on "
        "the binarized eigenfunctions x ↦ sign(φ_j(x)) of the NTK at initialization, against j; horizontal "
        "lines give the accuracy on CIFAR2 (classes 0–4 vs 5–9). The paper's claim: accuracy drops with j for "
        "both, and on these tasks the linearizations do comparatively better (no non-linear advantage). "
        "Scorecard: ``figures/claims.md``, Figure 2 lines."
    )


def table(inputs, params) -> dict:
    return tables.accuracy_table(inputs["metrics"])


@plotting.styled
def plot(table, title):
    models = plotting.models_in(table)
    eig = table["task"] == "eigenfunction"
    fig, ax = plt.subplots(figsize=(5.5, 3.4), layout="constrained")
    for model in models:
        c = plotting.color(models, model)
        for kind, style in plotting.KIND_STYLE.items():
            rows = eig & (table["model"] == model) & (table["kind"] == kind)
            order = np.argsort(table["index"][rows])
            ax.plot(table["index"][rows][order], table["test_accuracy"][rows][order], style, marker="o", ms=3,
                    color=c, label=f"{model} ({kind})")
            base = (table["task"] == "cifar2") & (table["model"] == model) & (table["kind"] == kind)
            if base.any():
                ax.axhline(table["test_accuracy"][base][0], color=c, ls=":" if kind == "network" else "-.", lw=0.8)
    plotting.index_axis(ax, table["index"][eig])
    ax.set_xlabel("eigenfunction index $j$ (target sign$(\\phi_j)$)\n"
                  "horizontal lines: CIFAR2 (classes 0-4 vs 5-9), dotted network, dash-dot linearized", fontsize=8)
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    fig.legend(fontsize=7, frameon=False, ncol=3, loc="outside lower center")
    return fig


def claims(t) -> list[Claim]:
    out = []
    eig = t["task"] == "eigenfunction"
    for model in plotting.models_in(t):
        for kind in FORMS:
            rows = eig & (t["model"] == model) & (t["kind"] == kind)
            rho = spearman(t["index"][rows], t["test_accuracy"][rows])
            out.append(Claim(f"The test accuracy of the {model} {kind} drops as the eigenfunction index j grows.",
                             f"Spearman correlation of j and test accuracy ({model}, {kind}); holds if < 0",
                             rho, check(rho, lambda v: v < 0)))
        net = eig & (t["model"] == model) & (t["kind"] == "network")
        lin = eig & (t["model"] == model) & (t["kind"] == "linearized")
        by_j = {j: a for j, a in zip(t["index"][lin], t["test_accuracy"][lin])}
        gaps = [by_j[j] - a for j, a in zip(t["index"][net], t["test_accuracy"][net]) if j in by_j]
        gap = float(np.mean(gaps)) if gaps else float("nan")
        out.append(Claim(f"On eigenfunction tasks the linearized {model} does better than the network (no non-linear advantage).",
                         f"mean over j of accuracy(linearized) - accuracy(network) ({model}); holds if > 0",
                         gap, check(gap, lambda v: v > 0)))
    return out
