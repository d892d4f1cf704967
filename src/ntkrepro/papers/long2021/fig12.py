"""Figure 12: alignment between the after kernel and its conjugate projection on test data, against
the learning rate."""

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.LR_FIGURE
SERIES = {"alignment": results.ALIGNMENT}


def needs(ctx):
    return Needs({"eval": c.lr_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 12: alignment of the after kernel with the conjugate kernel vs learning rate ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 12.** Uncentred alignment (as in Figure 6) between the after kernel and its conjugate projection on "
        "the test samples, for networks trained to the loss target, against the learning rate. The paper: for VGG-like "
        "networks the alignment is highest at the lowest learning rates, for fully connected networks the opposite. "
        "Scorecard: Figure 12 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "lr", SERIES)


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(1, width=5.0, height=3.4)
    ax = axes[0]
    for i, (model, task, _) in enumerate(results.panels(t)):
        drawing.line(ax, t, "lr", model, task, "alignment", label=drawing.panel_name(model, task),
               marker="o" if model == "VGG" else "s", color=drawing.TASK_COLORS[i % len(drawing.TASK_COLORS)])
    drawing.lr_axis(ax, t["lr"])
    ax.set_ylabel("alignment with the conjugate kernel")
    return drawing.finish(fig, axes, title)


def claims(t):
    slopes = results.lr_slopes(t, "alignment")
    vgg = results.mean_finite(v for (m, _), v in slopes.items() if m == "VGG")
    mlp = results.mean_finite(v for (m, _), v in slopes.items() if m == "MLP")
    stat = "mean over the {}'s settings of the slope of alignment against log10(learning rate); holds if {}"
    return [
        results.claim("For VGG-like networks the alignment with the conjugate kernel is highest at the lowest learning rates.",
                stat.format("VGG", "< 0"), vgg, lambda v: v < 0),
        results.claim("For fully connected networks the opposite holds.", stat.format("MLP", "> 0"), mlp, lambda v: v > 0),
    ]
