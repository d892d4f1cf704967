"""Figure 6: alignment between the after kernel and its conjugate projection (the kernel of the last
hidden layer) on test data, against the epochs of training: (a) VGG-like and mega-VGG-like networks,
(b) fully connected networks on the MNIST tasks, (c) VGG-like network on cat vs dog."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = {"alignment": results.ALIGNMENT}
PANELS = ((("VGG", "mega-VGG"), "mnist", "(a) VGG-like and mega-VGG-like"),
          (("MLP",), "mnist", "(b) fully connected, MNIST tasks"), (("VGG",), "cifar", "(c) VGG-like, cat vs dog"))
GOOD = 0.8


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx, mega=True))})


def title(ctx) -> str:
    return f"Figure 6: alignment of the after kernel with its conjugate projection vs epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 6.** Uncentred kernel alignment ⟨G, H⟩_F / (‖G‖_F ‖H‖_F) between the after kernel G and its "
        "conjugate projection H (the Gram matrix of the last hidden layer's activations: the input of the output "
        "layer) on the test samples, against the epochs of training. The paper: for VGG-like networks the conjugate "
        "projection remains a good approximation throughout, best at initialization; for fully connected networks and "
        f"for VGG on cat vs dog it is good at initialization and much less so after training. 'Good' is read as an "
        f"alignment of at least {GOOD}. Scorecard: Figure 6 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(3)
    for ax, (models, group, name) in zip(axes, PANELS):
        keys = [(m, task) for m in models for task in results.tasks_of(t, m, group)]
        for i, (model, task) in enumerate(keys):
            drawing.line(ax, t, "epoch", model, task, "alignment", label=f"{model}, {drawing.short(task)}", marker="o",
                   color=drawing.TASK_COLORS[i % len(drawing.TASK_COLORS)])
        drawing.epoch_axis(ax, t["epoch"])
        ax.set_ylabel("alignment with the conjugate kernel")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for _, k in keys) else ""))
    return drawing.finish(fig, axes, title)


def curves(t, models, group):
    return [results.curve(t, m, task, "alignment") for m in models for task in results.tasks_of(t, m, group)]


def at_init_lead(t) -> tuple[float, float, float]:
    """Mean over the VGG and mega-VGG MNIST settings of alignment at 0 - the largest after 0, its
    interval over seeds, and the largest VGG training loss at the last checkpoint (the mega-VGG's
    evaluations hold test samples only)."""
    leads, intervals, losses = [], [], []
    for m in ("VGG", "mega-VGG"):
        for task in results.tasks_of(t, m, "mnist"):
            xs, ys, ci = results.curve(t, m, task, "alignment")
            if len(xs) > 1 and xs[0] == 0:
                best = 1 + int(np.argmax(ys[1:]))
                leads.append(ys[0] - ys[best])
                intervals.append(np.hypot(ci[0], ci[best]))
                losses.append(results.loss_at(t, m, task, xs[-1]))
    finite = [v for v in losses if np.isfinite(v)]
    return results.mean_finite(leads), results.interval_of_mean(intervals), max(finite, default=float("nan"))


def claims(t):
    vgg = curves(t, ("VGG", "mega-VGG"), "mnist")
    mlp = curves(t, ("MLP",), "mnist")
    cifar = curves(t, ("VGG",), "cifar")
    low = min((float(ys.min()) for _, ys, _ in vgg if len(ys)), default=float("nan"))
    best_at_init, best_interval, vgg_loss = at_init_lead(t)
    mlp_init = min((float(ys[0]) for xs, ys, _ in mlp if len(xs) and xs[0] == 0), default=float("nan"))
    drop = (lambda cs: results.mean_finite(ys[-1] - ys[0] for xs, ys, _ in cs if len(xs) > 1 and xs[0] == 0))
    return [
        results.claim("For VGG-like (and mega-VGG-like) networks the conjugate projection remains a good approximation of "
                "the after kernel throughout training.",
                f"smallest alignment over checkpoints (VGG and mega-VGG, MNIST tasks); holds if >= {GOOD}",
                low, lambda v: v >= GOOD, requires=[results.begun(t, ("VGG",), "mnist")]),
        results.claim("... and is an especially good approximation at initialization.",
                "mean over those settings of alignment at 0 - largest alignment after 0; holds if > 0 (tested where "
                f"the VGG has begun to learn: training loss < {results.LEARNING} at the last checkpoint)",
                best_at_init, lambda v: v > 0,
                requires=[results.trained(vgg_loss, results.LEARNING, "training loss at the last checkpoint"),
                          results.resolved(best_at_init, best_interval)]),
        results.claim("For fully connected networks the conjugate projection is a good approximation at initialization.",
                f"smallest alignment at initialization (MLP, MNIST tasks); holds if >= {GOOD}",
                mlp_init, lambda v: v >= GOOD),
        results.claim("... but becomes much less so after training.",
                "mean over MNIST tasks of alignment at the last checkpoint - at 0 (MLP); holds if < -0.1",
                drop(mlp), lambda v: v < -0.1, requires=[results.begun(t, ("MLP",), "mnist")]),
        results.claim("For the VGG-like network on cat vs dog the conjugate projection is a good approximation at "
                "initialization but much less so after training.",
                "alignment at the last checkpoint - at 0 (VGG, cat vs dog or its stand-in); holds if < -0.1",
                drop(cifar), lambda v: v < -0.1, requires=[results.begun(t, ("VGG",), "cifar")],
                standin=results.standin(t)),
    ]
