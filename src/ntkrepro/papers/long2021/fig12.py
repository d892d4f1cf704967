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
    return results.series_table(inputs["eval"], "lr", results.with_training_loss(SERIES))


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
    trained = results.lr_trained(t)
    out = []
    for model, text, sign, test in (
            ("VGG", "For VGG-like networks the alignment with the conjugate kernel is highest at the lowest learning "
                    "rates.", "< 0", lambda v: v < 0),
            ("MLP", "For fully connected networks the opposite holds.", "> 0", lambda v: v > 0)):
        slope, interval = results.mean_slope(t, "alignment", keys=[k for k in results.panels(t) if k[0] == model])
        out.append(results.claim(
            text, f"mean over the {model}'s settings of the slope of alignment against log10(learning rate); holds if "
                  f"{sign} (tested where every run reached training loss < {results.TRAINED} and the slope exceeds "
                  "its interval over seeds)", slope, test, requires=[trained, results.resolved(slope, interval)]))
    return out
