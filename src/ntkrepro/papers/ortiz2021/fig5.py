"""Figure 5: CIFAR2 test accuracy (top) and distance to initialization (bottom) against the training-set
size, networks and their linearizations, over several seeds."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting, tables
from ...claims import Claim, check
from ...errors import ConfigError
from ...figure_stats import mean_sd, over_seeds, spearman
from ...pipeline import Needs
from .common import FORMS, INDICES, MODELS

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["models", "sizes", "seeds"],
    "properties": {
        "models": MODELS,
        "sizes": INDICES,
        "seeds": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 0}},
    },
}


def needs(ctx) -> Needs:
    s = ctx.section
    n_train, _ = ctx.sizes()
    batch = ctx.recipe().batch_size
    key = f"config key '{ctx.paper_key}.{ctx.key}.sizes'"
    if max(s["sizes"]) > n_train:
        raise ConfigError(f"{key}: {max(s['sizes'])} exceeds the {n_train} training samples")
    if min(s["sizes"]) < batch:
        raise ConfigError(f"{key}: {min(s['sizes'])} is smaller than the recipe's batch_size ({batch})")
    runs = [({"model": model, "kind": form, "size": n, "seed": seed}, ctx.run(f"cifar2-n{n}", model, form=form, seed=seed))
            for model in s["models"] for form in FORMS for n in s["sizes"] for seed in s["seeds"]]
    return Needs({"metrics": runs})


def title(ctx) -> str:
    return (f"CIFAR2 (classes 0-4 vs 5-9) of {ctx.dataset}, {len(ctx.section['seeds'])} seeds, "
            f"{ctx.recipe().epochs} epochs")


def caption(ctx) -> str:
    return (
        "**Figure 5.** CIFAR2 (classes 0–4 vs 5–9) test accuracy (top) and parameter distance to "
        "initialization (bottom) against the training-set size, networks (solid) and linearizations (dashed), "
        "mean ± standard deviation over seeds. The paper's claim: the non-linear advantage appears mostly with "
        "larger training sets. Scorecard: Figure 5 lines."
    )


def table(inputs, params) -> dict:
    return tables.accuracy_table(inputs["metrics"])


@plotting.styled
def plot(table, title):
    models = plotting.models_in(table)
    fig, axes = plt.subplots(2, len(models), figsize=(3 * len(models), 4.6), squeeze=False, sharex=True, layout="constrained")
    for col, model in enumerate(models):
        for kind, style in plotting.KIND_STYLE.items():
            rows = (table["model"] == model) & (table["kind"] == kind)
            for row, metric in enumerate(["test_accuracy", "distance_l2"]):
                sizes, mean, std = over_seeds(table["size"][rows], table[metric][rows], ddof=0)
                ax = axes[row, col]
                ax.plot(sizes, mean, style, marker="o", ms=3, color=plotting.color(models, model), label=kind)
                ax.fill_between(sizes, mean - std, mean + std, color=plotting.color(models, model), alpha=0.15)
        axes[0, col].set_title(model)
        axes[1, col].set_xlabel("training-set size")
        plotting.index_axis(axes[1, col], table["size"])
    axes[0, 0].set_ylabel("test accuracy")
    axes[1, 0].set_ylabel(r"$\|\theta-\theta_0\|_2$")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=7, frameon=False, ncol=2, loc="outside lower center")
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    out = []
    for model in plotting.models_in(t):
        rows = t["model"] == model
        sizes = np.unique(t["size"][rows])

        def gap(n):
            net = t["test_accuracy"][rows & (t["kind"] == "network") & (t["size"] == n)]
            lin = t["test_accuracy"][rows & (t["kind"] == "linearized") & (t["size"] == n)]
            return mean_sd(net)[0] - mean_sd(lin)[0] if len(net) and len(lin) else float("nan")

        growth = gap(sizes[-1]) - gap(sizes[0]) if len(sizes) > 1 else float("nan")
        out.append(Claim(f"The non-linear advantage of the {model} on CIFAR2 grows with the training-set size.",
                         f"gap(largest n) - gap(smallest n), gap = mean accuracy(network) - mean accuracy(linearized) ({model}); holds if > 0",
                         growth, check(growth, lambda v: v > 0)))
        net = rows & (t["kind"] == "network")
        rho = spearman(t["size"][net], t["distance_l2"][net])
        out.append(Claim(f"With more data the {model} ends farther from its initialization.",
                         f"Spearman correlation of n and ‖θ_T - θ0‖ of the network ({model}); holds if > 0",
                         rho, check(rho, lambda v: v > 0)))
    return out
