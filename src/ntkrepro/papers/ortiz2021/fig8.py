"""Figure 8: training loss and test accuracy on sign(φ_target) of a network, its unbiased linearization
at θ0 and its unbiased linearization around the trained θ*."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting, tables
from ...claims import Claim, check
from ...pipeline import Needs
from .common import eigenfunction_index, eigenfunction_name, MODEL, eigenfunction_task, scale_text

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["model", "target"],
    "properties": {"model": MODEL, "target": {"type": "integer", "minimum": 1}},
}
NETWORK, AT_INIT, AT_TRAINED = "network", "linearized at θ0", "linearized at θ*"


def needs(ctx) -> Needs:
    s = ctx.section
    task = eigenfunction_task(ctx, "target", eigenfunction_index(ctx, s["target"]))
    forms = {NETWORK: "network", AT_INIT: "unbiased-e0", AT_TRAINED: f"unbiased-e{ctx.recipe().epochs}"}
    return Needs({"metrics": [({"model": name}, ctx.run(task, s["model"], form=form)) for name, form in forms.items()]})


def title(ctx) -> str:
    s = ctx.section
    return f"{s['model']} on sign({eigenfunction_name(ctx, ctx.section['target'])}) ({scale_text(ctx)})"


def caption(ctx) -> str:
    s = ctx.section
    return (
        f"**Figure 8.** Training loss (left) and test accuracy (right) on sign({eigenfunction_name(ctx, ctx.section['target'])}) of a {s['model']}, "
        "its (unbiased) linearization around θ0 and its unbiased linearization around the trained θ*. The paper's "
        "claim: the network and the θ* linearization fit the labels much faster than the θ0 linearization, and "
        "the θ* linearization generalizes worse, with a test accuracy comparable to the network's (read as: nearer the "
        "network's than the θ0 linearization's). Scorecard: Figure 8 lines."
    )


def table(inputs, params) -> dict:
    return tables.curves_table(inputs["metrics"])


@plotting.styled
def plot(table, title):
    names = list(dict.fromkeys(table["model"].tolist()))
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
    for i, name in enumerate(names):
        rows = table["model"] == name
        c = plotting.MODEL_COLORS[i % len(plotting.MODEL_COLORS)]
        left.semilogy(table["epoch"][rows], table["train_loss"][rows], "-", color=c, label=name)
        right.plot(table["epoch"][rows], table["test_accuracy"][rows], "-", color=c, label=name)
    left.set_xlabel("epoch")
    left.set_ylabel("training loss")
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy")
    fig.legend(*left.get_legend_handles_labels(), fontsize=7, frameon=False, ncol=3, loc="outside lower center")
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    def speed(name):  # mean log training loss over epochs: lower is faster convergence
        rows = t["model"] == name
        return float(np.mean(np.log(t["train_loss"][rows]))) if rows.any() else float("nan")

    def accuracy(name):
        rows = t["model"] == name
        return float(t["test_accuracy"][rows][np.argmax(t["epoch"][rows])]) if rows.any() else float("nan")

    faster, converges, worse = speed(AT_INIT) - speed(NETWORK), speed(AT_INIT) - speed(AT_TRAINED), accuracy(AT_INIT) - accuracy(AT_TRAINED)
    # "comparable to the one of the neural network": nearer the network's accuracy than the θ0 linearization is
    nearer = abs(accuracy(AT_TRAINED) - accuracy(NETWORK)) - abs(accuracy(AT_INIT) - accuracy(NETWORK))
    return [
        Claim("The network fits the training labels much faster than its linearization at θ0.",
              "mean log training loss over epochs: linearized at θ0 - network; holds if > 0", faster, check(faster, lambda v: v > 0)),
        Claim("The linearization at the trained θ* converges faster than the one at θ0.",
              "mean log training loss over epochs: at θ0 - at θ*; holds if > 0", converges, check(converges, lambda v: v > 0)),
        Claim("The linearization at θ* generalizes worse than the one at θ0.",
              "final test accuracy: at θ0 - at θ*; holds if > 0", worse, check(worse, lambda v: v > 0)),
        Claim("The linearization at θ* has a test accuracy comparable to the network's.",
              "final test accuracy |at θ* - network| - |at θ0 - network|; holds if < 0", nearer,
              check(nearer, lambda v: v < 0)),
    ]
