"""Figure 7: alignment α_t(φ_j) of the NTK eigenfunctions at initialization with the NTK before and after
training a network on sign(φ_target)."""

import matplotlib.pyplot as plt
import numpy as np

from ... import io, plotting
from ...claims import Claim, check
from ...errors import ConfigError
from ...figure_stats import spearman
from ...pipeline import Alignment, Kernel, Needs
from .common import eigenfunction_index, eigenfunction_name, MODEL, eigenfunction_task

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["target"],
    "properties": {
        "model": {**MODEL, "default": "lenet"},
        "target": {"type": "integer", "minimum": 1},
        "eigenfunctions": {"type": ["integer", "null"], "minimum": 1, "default": None},
    },
}
KEPT = 0.8


def window(ctx) -> int:
    """How many eigenfunctions the figure shows and its claim compares: the paper's K (of its
    60,000-sample kernel) at the same relative depth of this kernel, as the target; every eigenpair
    the spectrum keeps when the key is null."""
    s, k = ctx.section, ctx.config["spectrum"]["k"]
    if s["eigenfunctions"] is None:
        return k
    shown = eigenfunction_index(ctx, s["eigenfunctions"])
    key = f"config key '{ctx.paper_key}.{ctx.key}.eigenfunctions'"
    if shown > k:
        raise ConfigError(f"{key}: {shown} eigenfunctions are more than spectrum.k ({k}) keeps")
    target = eigenfunction_index(ctx, s["target"])
    if target > shown:
        raise ConfigError(f"{key}: the target φ_{target} lies beyond the {shown} eigenfunctions shown")
    return shown


def needs(ctx) -> Needs:
    s = ctx.section
    target = eigenfunction_index(ctx, s["target"])
    run = ctx.run(eigenfunction_task(ctx, "target", target), s["model"])
    before, after = (Alignment(Kernel(ctx.state(s["model"], run=run, epoch=e))) for e in (0, "final"))
    return Needs({"before": [({}, before)], "after": [({}, after)]}, {"target": target, "window": window(ctx)})


def title(ctx) -> str:
    s = ctx.section
    n_train, n_test = ctx.sizes()
    return (
        f"{s['model']} on {ctx.dataset} ({n_train + n_test:,} samples, the first {window(ctx):,} "
        f"eigenfunctions of the NTK at θ0)\ntrained {ctx.recipe().epochs} epochs on sign({eigenfunction_name(ctx, ctx.section['target'])})"
    )


def caption(ctx) -> str:
    s = ctx.section
    return (
        f"**Figure 7.** Alignment α_t(φ_j) = φ_jᵀ Θ_t φ_j / ‖φ_j‖² of the first {window(ctx):,} eigenfunctions of the NTK at "
        "initialization with the NTK before training (left, where α_0(φ_j) = λ_j) and after training (right) "
        f"a {s['model']} to predict sign({eigenfunction_name(ctx, ctx.section['target'])}) on {ctx.dataset}. The paper's claim: training raises "
        "the target's alignment much more than any other eigenfunction's, and the others' relative alignment "
        f"changes little (read as their order kept: a rank correlation ≥ {KEPT}). Scorecard: Figure 7 lines."
    )


def table(inputs, params) -> dict:
    """α at initialization and after training of the first `window` eigenfunctions, the target marked."""
    before, after = (io.read_csv(inputs[name][0][1]) for name in ("before", "after"))
    shown = before["index"] <= params["window"]
    return {
        "index": before["index"][shown].astype(int),
        "alpha_init": before["alignment"][shown],
        "alpha_trained": after["alignment"][shown],
        "is_target": (before["index"][shown] == params["target"]).astype(int),
    }


@plotting.styled
def plot(table, title):
    j = table["index"]
    target = table["is_target"] == 1
    fig, axes = plt.subplots(1, 2, sharey=True, layout="constrained")
    for ax, column, name in zip(axes, ["alpha_init", "alpha_trained"], ["Before training", "After training"]):
        ax.semilogy(j[~target], table[column][~target], ".", ms=2, color=plotting.BASE_COLOR,
                    label=r"$\phi_j$, $j\neq$ target")
        ax.semilogy(j[target], table[column][target], "*", ms=11, color=plotting.TARGET_COLOR,
                    label=rf"target $\phi_{{{int(j[target][0])}}}$" if target.any() else None)
        ax.set_title(name)
        ax.set_xlabel("eigenfunction index $j$")
    axes[0].set_ylabel(r"alignment $\alpha_t(\phi_j)$")
    fig.legend(*axes[1].get_legend_handles_labels(), frameon=False, ncol=2, loc="outside lower center")
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    growth = t["alpha_trained"] / t["alpha_init"]
    target = t["is_target"] == 1
    ratio = float(growth[target][0] / np.max(growth[~target])) if target.any() and (~target).any() else float("nan")
    # "the relative alignment between all other eigenfunctions does not change much" (all grow with the
    # Jacobian's norm): read as their order by alignment kept, a rank correlation of at least KEPT
    others = spearman(t["alpha_init"][~target], t["alpha_trained"][~target]) if (~target).sum() >= 3 else float("nan")
    return [Claim("Training raises the alignment of the target eigenfunction much more than that of any other.",
                  "(α_T/α_0 of the target) / max over other j of α_T/α_0; holds if > 1",
                  ratio, check(ratio, lambda v: v > 1)),
            Claim("The relative alignment of all the other eigenfunctions does not change much.",
                  f"Spearman correlation of α_0 and α_T over the eigenfunctions other than the target; holds if ≥ {KEPT}",
                  others, check(others, lambda v: v >= KEPT))]
