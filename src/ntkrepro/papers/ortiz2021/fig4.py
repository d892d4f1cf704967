"""Figure 4: networks and their linearizations on linearly separable tasks along the neural anisotropy
directions (NADs) v_j (left), and the alignment α(g_{v_j}) = σ_j² Theorem 1 predicts (right)."""

import matplotlib.pyplot as plt
import numpy as np

from ... import nads, plotting, tables
from ...claims import Claim, check
from ...errors import ConfigError
from ...figure_stats import spearman
from ...pipeline import Needs, Nads
from .common import FORMS, INDICES, MODELS

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["models", "nads"],
    "properties": {
        "models": MODELS,
        "size": {"type": "integer", "minimum": 4, "default": 32},
        "nads": INDICES,
        "samples": {"type": "integer", "minimum": 0, "default": 256},
        "n_train": {"type": "integer", "minimum": 1, "default": 10000},
        "n_test": {"type": "integer", "minimum": 1, "default": 10000},
        "epsilon": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
        "sigma": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
    },
}


def needs(ctx) -> Needs:
    s = ctx.section
    where = f"config key '{ctx.paper_key}.{ctx.key}"
    if max(s["nads"]) > s["size"] ** 2:
        raise ConfigError(f"{where}.nads': index {max(s['nads'])} is beyond the {s['size'] ** 2} input dimensions")
    batch = ctx.recipe().batch_size
    if s["n_train"] < batch:
        raise ConfigError(f"{where}.n_train': {s['n_train']} is smaller than the recipe's batch_size ({batch})")
    # The inputs x = (ε/2)·y·v_j + w are a dataset of their own, named by their size
    dataset = ctx.dataset_variant(f"gaussian{s['size']}", {
        "name": "gaussian", "size": s["size"], "n_train": s["n_train"], "n_test": s["n_test"],
        "epsilon": s["epsilon"], "sigma": s["sigma"], "samples": s["samples"]})
    runs = [({"model": model, "kind": form, "index": j}, ctx.run(f"nad{j}", model, form=form, dataset=dataset))
            for model in s["models"] for form in FORMS for j in s["nads"]]
    directions = [({"model": model}, Nads(dataset, model, ctx.seed)) for model in s["models"]]
    return Needs({"nads": directions, "metrics": runs})


def title(ctx) -> str:
    s = ctx.section
    return (f"Linearly separable tasks along NADs ({s['size']}x{s['size']} Gaussian inputs, "
            f"{s['n_train']:,} training samples, {ctx.recipe().epochs} epochs)")


def caption(ctx) -> str:
    return (
        "**Figure 4.** Left: test accuracy of networks (solid) and linearizations (dashed) on linearly "
        "separable tasks x ↦ sign(v_jᵀx) along the neural anisotropy directions v_j. Right: the alignment "
        "α(g_{v_j}) = σ_j² predicted by Theorem 1. The paper's claim: networks learn the first NADs better, "
        "with a non-linear advantage. Scorecard: Figure 4 lines."
    )


def table(inputs, params) -> dict:
    """Per model and NAD index j: the alignment σ_j² and the test accuracies of the trained models."""
    accuracy = {(lab["model"], lab["kind"], lab["index"]): tables.final(p)["test_accuracy"] for lab, p in inputs["metrics"]}
    rows = {"model": [], "index": [], "alignment": [], "network_accuracy": [], "linearized_accuracy": []}
    for label, path in inputs["nads"]:
        model = label["model"]
        sigma2, _ = nads.read(path)
        for j, a in enumerate(sigma2, start=1):
            rows["model"].append(model)
            rows["index"].append(j)
            rows["alignment"].append(a)
            rows["network_accuracy"].append(accuracy.get((model, "network", j), float("nan")))
            rows["linearized_accuracy"].append(accuracy.get((model, "linearized", j), float("nan")))
    return rows


@plotting.styled
def plot(table, title):
    models = plotting.models_in(table)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
    for model in models:
        c = plotting.color(models, model)
        rows = table["model"] == model
        trained = rows & np.isfinite(table["network_accuracy"])
        left.plot(table["index"][trained], table["network_accuracy"][trained], "-o", ms=3, color=c, label=f"{model} (network)")
        left.plot(table["index"][trained], table["linearized_accuracy"][trained], "--o", ms=3, color=c,
                  label=f"{model} (linearized)")
        right.semilogy(table["index"][rows], table["alignment"][rows], "-", color=c, label=model)
    plotting.index_axis(left, table["index"][np.isfinite(table["network_accuracy"])])
    left.set_xlabel("NAD index $j$ (target sign$(v_j^T x)$)")
    left.set_ylabel("test accuracy")
    fig.legend(*left.get_legend_handles_labels(), fontsize=7, frameon=False, ncol=4, loc="outside lower center")
    right.set_xlabel("NAD index $j$")
    right.set_ylabel(r"$\alpha(g_{v_j}) = \sigma_j^2$")
    right.legend(fontsize=7, frameon=False)
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    out = []
    for model in plotting.models_in(t):
        rows = (t["model"] == model) & np.isfinite(t["network_accuracy"])
        rho = spearman(t["index"][rows], t["network_accuracy"][rows])
        out.append(Claim(f"The {model} learns linear predictors along the first NADs better than along later ones.",
                         f"Spearman correlation of NAD index j and network test accuracy ({model}); holds if < 0",
                         rho, check(rho, lambda v: v < 0)))
        gap = float(np.mean(t["network_accuracy"][rows] - t["linearized_accuracy"][rows])) if rows.any() else float("nan")
        out.append(Claim(f"On NAD tasks the {model} has a non-linear advantage over its linearization.",
                         f"mean over trained NADs of accuracy(network) - accuracy(linearized) ({model}); holds if > 0",
                         gap, check(gap, lambda v: v > 0)))
    return out
