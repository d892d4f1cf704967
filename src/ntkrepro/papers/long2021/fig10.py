"""Figure 10: quadrant-swap invariance of the after kernel against the learning rate: (a) MNIST
tasks, (b) VGG-like network on cat vs dog."""

from ... import plotting
from ...pipeline import Needs
from . import common as c

SCHEMA = c.LR_FIGURE
SWAP = "invariance quadrant swap"
SERIES = c.invariance_series(("swap",))


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
    return c.series_table(inputs["eval"], "lr", SERIES)


@plotting.styled
def plot(t, title):
    fig, axes = c.grid(2, width=4.2, height=3.0)
    for ax, group, name in ((axes[0], "mnist", "(a) MNIST tasks"), (axes[1], "cifar", "(b) VGG-like, cat vs dog")):
        keys = [(m, task) for m, task, g in c.panels(t) if g == group]
        for i, (model, task) in enumerate(keys):
            c.line(ax, t, "lr", model, task, SWAP, label=f"{model}, {c.short(task)}",
                   marker="o" if model == "VGG" else "s", color=c.TASK_COLORS[i % len(c.TASK_COLORS)])
        c.lr_axis(ax, t["lr"])
        ax.set_ylabel("swap invariance")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for _, k in keys) else ""))
    return c.finish(fig, axes, title)


def claims(t):
    slope = c.mean_finite(c.lr_slopes(t, SWAP).values())
    return [c.claim("Features obtained with a larger learning rate reflect global properties of the image to a greater "
                    "extent (they are less invariant to quadrant swaps).",
                    "mean over settings of the slope of swap invariance against log10(learning rate); holds if < 0",
                    slope, lambda v: v < 0)]
