"""Figure 9: test accuracy of unbiased linearizations around the network's checkpoints θ_e, against the
pretraining epochs e; the network itself dashed."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting, tables
from ...claims import Claim, check, judge
from ...figure_stats import spearman
from ...pipeline import Needs
from .common import eigenfunction_index, eigenfunction_name, EPOCHS, MODEL, check_epochs, eigenfunction_task, scale_text

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["model", "target", "epochs"],
    "properties": {"model": MODEL, "target": {"type": "integer", "minimum": 1}, "epochs": EPOCHS},
}


def needs(ctx) -> Needs:
    s = ctx.section
    check_epochs(ctx, "epochs", s["epochs"])
    task = eigenfunction_task(ctx, "target", eigenfunction_index(ctx, s["target"]))
    runs = [({"kind": "linearized", "pretraining_epochs": e}, ctx.run(task, s["model"], form=f"unbiased-e{e}"))
            for e in sorted(s["epochs"])]
    runs.append(({"kind": "network", "pretraining_epochs": ctx.recipe().epochs}, ctx.run(task, s["model"])))
    return Needs({"metrics": runs})


def title(ctx) -> str:
    s = ctx.section
    return f"{s['model']}: linearizations around θ_e on sign({eigenfunction_name(ctx, ctx.section['target'])}) ({scale_text(ctx)})"


def caption(ctx) -> str:
    return (
        f"**Figure 9.** Test accuracy of unbiased linearizations around θ_e, the network after e epochs of training "
        f"on sign({eigenfunction_name(ctx, ctx.section['target'])}), trained on the same task; dashed: the network itself. The paper's "
        "claim: accuracy drops quickly with e. Scorecard: Figure 9 lines."
    )


def table(inputs, params) -> dict:
    return tables.accuracy_table(inputs["metrics"])


@plotting.styled
def plot(table, title):
    lin = table["kind"] == "linearized"
    order = np.argsort(table["pretraining_epochs"][lin])
    fig, ax = plt.subplots(figsize=(4.5, 3), layout="constrained")
    ax.plot(table["pretraining_epochs"][lin][order], table["test_accuracy"][lin][order], "o-", ms=3,
            color=plotting.BASE_COLOR, label=r"linearized around $\theta_e$")
    net = table["kind"] == "network"
    if net.any():
        ax.axhline(table["test_accuracy"][net][0], ls="--", color="k", lw=1, label="network")
    plotting.epoch_axis(ax, table["pretraining_epochs"])
    ax.set_xlabel("pretraining epochs $e$")
    ax.set_ylabel("test accuracy")
    fig.legend(fontsize=7, frameon=False, ncol=2, loc="outside lower center")
    ax.set_title(title)
    return fig


def claims(t) -> list[Claim]:
    lin = t["kind"] == "linearized"
    e, acc = t["pretraining_epochs"][lin], t["test_accuracy"][lin]
    later = e >= 1  # θ0 itself is the one linearization that never trained: a drop from it alone is the next claim
    rho = spearman(e[later], acc[later])
    few = "" if later.sum() >= 3 else f"{int(later.sum())} checkpoint(s) with e ≥ 1 (needs 3 to rank)"
    drop = float(acc[np.argmin(e)] - acc[np.argmax(e)]) if lin.any() else float("nan")
    return [
        judge("Linearizations around later checkpoints θ_e generalize worse.",
              "Spearman correlation of e and test accuracy among the checkpoints with e ≥ 1; holds if < 0",
              rho, lambda v: v < 0, requires=[few]),
        Claim("Pretraining degrades the linearized model's accuracy.",
              "test accuracy at e = 0 - at the largest e; holds if > 0", drop, check(drop, lambda v: v > 0)),
    ]
