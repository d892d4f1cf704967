"""Figure 1: test error of the hard-margin SVM on the after kernel against the epochs of training
that produced the kernel (0 epochs: the FNTK): (a) MNIST tasks, VGG-like and fully connected
networks; (b) CIFAR-10 cat vs dog (or its stand-in), VGG-like network."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = {"svm after kernel": results.SVM}


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 1: hard-margin SVM on the after kernel vs kernel training epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 1.** Test error of a hard-margin SVM (no bias, features scaled to mean norm 1, exact solver) "
        "on the after kernel of the network after e epochs of Keras-default training (plain SGD, lr 0.01, batch 32, "
        "binary cross-entropy on logits); e = 0 is the FNTK. (a) MNIST tasks, VGG-like and fully connected networks; "
        "(b) VGG-like network on CIFAR-10 cat vs dog, or the stand-in pair the title names. Mean ± sd/√n over seeds. "
        "The paper: for fully connected networks the kernel improves quickly within a few epochs; for VGG on MNIST "
        "the FNTK is already good; on cat vs dog the after kernel is much better than the FNTK. "
        "Scorecard: ``figures/long2021/claims.md``, Figure 1 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(2, width=4.2, height=3.0)
    a, b = axes
    for model, marker in (("VGG", "o"), ("MLP", "s")):
        tasks = results.tasks_of(t, model, "mnist")
        for task in tasks:
            drawing.line(a, t, "epoch", model, task, "svm after kernel", label=f"{model}, {task}", marker=marker,
                   ls="-" if model == "VGG" else "--", color=drawing.task_color(tasks, task))
    for task in results.tasks_of(t, "VGG", "cifar"):
        drawing.line(b, t, "epoch", "VGG", task, "svm after kernel", label=f"VGG, {drawing.short(task)}", marker="o",
               color=drawing.TASK_COLORS[0])
    standin = results.standin(t)
    for ax, name in ((a, "(a) MNIST tasks"), (b, "(b) VGG-like, cat vs dog" + (" (stand-in)" if standin else ""))):
        drawing.epoch_axis(ax, t["epoch"])
        ax.set_ylabel("SVM test error")
        ax.set_title(name)
    return drawing.finish(fig, axes, title)


def claims(t):
    out = []
    ratios = []
    for task in results.tasks_of(t, "MLP", "mnist"):
        xs, ys, _ = results.curve(t, "MLP", task, "svm after kernel")
        early = ys[(xs > 0) & (xs <= 10)]
        base = ys[xs == 0]
        ratios.append(float(early.min() / base[0]) if len(early) and len(base) and base[0] > 0 else float("nan"))
    worst = max(ratios) if ratios and all(np.isfinite(ratios)) else float("nan")
    out.append(results.claim(
        "For fully connected networks on the MNIST tasks, the after kernel quickly improves on the FNTK "
        "within a few epochs of training.",
        "largest over MNIST tasks of (lowest MLP SVM error at epochs 1-10) / (error with the FNTK); holds if < 0.75",
        worst, lambda v: v < 0.75, requires=[results.begun(t, ("MLP",), "mnist")]))

    def relative_gain(model, group):
        gains = []
        for task in results.tasks_of(t, model, group):
            xs, ys, _ = results.curve(t, model, task, "svm after kernel")
            if len(xs) >= 2 and xs[0] == 0 and ys[0] > 0:
                gains.append((ys[0] - ys[-1]) / ys[0])
        return results.mean_finite(gains)

    diff = relative_gain("VGG", "mnist") - relative_gain("MLP", "mnist")
    out.append(results.claim(
        "For VGG-like networks on MNIST the FNTK is already good: training improves the kernel less than "
        "for fully connected networks.",
        "relative SVM error reduction FNTK -> last checkpoint, VGG minus MLP (mean over MNIST tasks); holds if < 0",
        diff, lambda v: v < 0, requires=[results.begun(t, ("VGG", "MLP"), "mnist")]))
    ratio = float("nan")
    for task in results.tasks_of(t, "VGG", "cifar"):
        xs, ys, _ = results.curve(t, "VGG", task, "svm after kernel")
        if len(xs) >= 2 and xs[0] == 0 and ys[0] > 0:
            ratio = float(ys[-1] / ys[0])
    out.append(results.claim(
        "For the VGG-like network on CIFAR-10 cat vs dog the after kernel is much better than the FNTK.",
        "SVM error after the last checkpoint / with the FNTK (VGG, cat vs dog or its stand-in); holds if < 0.75",
        ratio, lambda v: v < 0.75, requires=[results.begun(t, ("VGG",), "cifar")], standin=results.standin(t)))
    return out
