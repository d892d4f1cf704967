"""Figure 10: quadrant-swap invariance of the after kernel against the learning rate: (a) MNIST
tasks, (b) VGG-like network on cat vs dog."""

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.LR_FIGURE
SWAP = "invariance quadrant swap"
SERIES = results.invariance_series(("swap",))


def needs(ctx):
    return Needs({"eval": c.lr_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 10: quadrant-swap invariance of the after kernel vs learning rate ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 10.** Swap invariance (as in Figure 4) of the after kernel of networks trained to the loss target, "
        "against the learning rate: (a) MNIST tasks (VGG-like: circles, fully connected: squares), (b) VGG-like on cat "
        "vs dog. The paper: features obtained with a large learning rate are more global (less swap invariant). "
        "Scorecard: Figure 10 line."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "lr", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(2, width=4.2, height=3.0)
    for ax, group, name in ((axes[0], "mnist", "(a) MNIST tasks"), (axes[1], "cifar", "(b) VGG-like, cat vs dog")):
        keys = [(m, task) for m, task, g in results.panels(t) if g == group]
        for i, (model, task) in enumerate(keys):
            drawing.line(ax, t, "lr", model, task, SWAP, label=f"{model}, {drawing.short(task)}",
                   marker="o" if model == "VGG" else "s", color=drawing.TASK_COLORS[i % len(drawing.TASK_COLORS)])
        drawing.lr_axis(ax, t["lr"])
        ax.set_ylabel("swap invariance")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for _, k in keys) else ""))
    return drawing.finish(fig, axes, title)


def claims(t):
    slope, interval = results.mean_slope(t, SWAP)
    return [results.claim("Features obtained with a larger learning rate reflect global properties of the image to a greater "
                          "extent (they are less invariant to quadrant swaps).",
                          "mean over settings of the slope of swap invariance against log10(learning rate); holds if < 0 "
                          f"(tested where every run reached training loss < {results.TRAINED} and the slope exceeds its "
                          "interval over seeds)", slope, lambda v: v < 0,
                          requires=[results.lr_trained(t), results.resolved(slope, interval)])]
