"""Figure 4: invariance of the after kernel's features to swapping the upper-left and lower-right
quadrants of test images, against the epochs of training: (a) VGG-like networks on the MNIST tasks,
(b) fully connected networks on them, (c) VGG-like on cat vs dog, (d) mega-VGG on the first task."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = results.invariance_series(("swap",))
SWAP = "invariance quadrant swap"


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx, mega=True))})


def title(ctx) -> str:
    return f"Figure 4: quadrant-swap invariance of the after kernel vs training epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 4.** Mean cosine similarity between the after-kernel features of a test image and of the image with "
        "its upper-left and lower-right quadrants swapped (swaps keep local statistics and break the global "
        "structure: lower values mean a more 'global' kernel), against the epochs of training. The paper: the VGG "
        "kernels become less swap invariant with training (most on cat vs dog, and more for the mega-VGG); the fully "
        "connected network's FNTK is the least swap invariant of all, jumps after one epoch, then decreases but stays "
        "above the FNTK. Scorecard: Figure 4 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(4)
    for ax, (model, group, name) in zip(axes, c.INVARIANCE_PANELS):
        tasks = results.tasks_of(t, model, group)
        for task in tasks:
            drawing.line(ax, t, "epoch", model, task, SWAP, label=drawing.short(task), marker="o", color=drawing.task_color(tasks, task))
        drawing.epoch_axis(ax, t["epoch"])
        ax.set_ylabel("swap invariance")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for k in tasks) else ""))
    return drawing.finish(fig, axes, title)


def changes(t, model, group, relative=False) -> tuple[float, float, float]:
    """Mean over the model's tasks in ``group`` of swap(last) − swap(0) (or that over swap(0)), its
    interval over seeds and the largest training loss at the last checkpoint."""
    out, intervals, losses = [], [], []
    for task in results.tasks_of(t, model, group):
        xs, ys, ci = results.curve(t, model, task, SWAP)
        if len(xs) >= 2 and xs[0] == 0:
            scale = ys[0] if relative else 1.0
            out.append((ys[-1] - ys[0]) / scale)
            intervals.append(np.hypot(ci[-1], ci[0]) / abs(scale))
            losses.append(results.loss_at(t, model, task, xs[-1]))
    return results.mean_finite(out), results.interval_of_mean(intervals), max(losses, default=float("nan"))


def mlp_jump(t) -> tuple[float, float, float]:
    """Mean over the MLP's MNIST tasks of swap(first checkpoint after 0) − swap(0), its interval over
    seeds and the largest training loss at that checkpoint."""
    out, intervals, losses = [], [], []
    for task in results.tasks_of(t, "MLP", "mnist"):
        xs, ys, ci = results.curve(t, "MLP", task, SWAP)
        if len(xs) >= 2 and xs[0] == 0:
            out.append(ys[1] - ys[0])
            intervals.append(np.hypot(ci[1], ci[0]))
            losses.append(results.loss_at(t, "MLP", task, xs[1]))
    return results.mean_finite(out), results.interval_of_mean(intervals), max(losses, default=float("nan"))


def mlp_points(t):
    """Per MLP MNIST task: (swap at 0, at the first later checkpoint, at the last)."""
    out = []
    for task in results.tasks_of(t, "MLP", "mnist"):
        xs, ys, _ = results.curve(t, "MLP", task, SWAP)
        if len(xs) >= 3 and xs[0] == 0:
            out.append((ys[0], ys[1], ys[-1]))
    return np.array(out).reshape(-1, 3)


def claims(t):
    mlp = mlp_points(t)
    rows = t["series"] == SWAP
    mlp_init = rows & (t["model"] == "MLP") & (t["epoch"] == 0)
    others = t["mean"][rows & ~mlp_init]
    lowest = float(t["mean"][mlp_init].max() - others.min()) if mlp_init.any() and len(others) else float("nan")
    mega = vgg = float("nan")
    for task in results.tasks_of(t, "mega-VGG", "mnist"):
        mega = results.curve(t, "mega-VGG", task, SWAP)[1][-1]
        vx, vy, _ = results.curve(t, "VGG", task, SWAP)
        vgg = vy[-1] if len(vy) else float("nan")
    na = np.array([np.nan])
    jump, jump_interval, jump_loss = mlp_jump(t)
    cifar, cifar_interval, cifar_loss = changes(t, "VGG", "cifar")
    cifar_rel, cifar_rel_interval, _ = changes(t, "VGG", "cifar", relative=True)
    mnist_rel, mnist_rel_interval, _ = changes(t, "VGG", "mnist", relative=True)
    decreased = "" if not np.isfinite(cifar) or cifar < -cifar_interval else (
        f"no decrease on cat vs dog beyond {results.INTERVAL} ({cifar:.3g} ± {cifar_interval:.3g})")
    standin = results.standin(t)
    return [
        results.claim("For VGG-like networks on MNIST, the after kernel becomes less swap invariant (more global) with "
                "training.", "swap invariance at the last checkpoint - at initialization (VGG, mean over MNIST "
                "tasks); holds if < 0", changes(t, "VGG", "mnist")[0], lambda v: v < 0,
                requires=[results.begun(t, ("VGG",), "mnist")]),
        results.claim("The fully connected network's FNTK is the least swap-invariant kernel of all.",
                "largest MLP swap invariance at initialization - smallest swap invariance of any other kernel in the "
                "figure; holds if < 0", lowest, lambda v: v < 0),
        results.claim("For fully connected networks the swap invariance shoots up after one epoch of training.",
                "mean over MNIST tasks of swap invariance at the first checkpoint after 0 - at 0 (MLP); holds if > 0 "
                f"(tested where the MLP has begun to learn there: training loss < {results.LEARNING})",
                jump, lambda v: v > 0,
                requires=[results.trained(jump_loss, results.LEARNING, "training loss at the first checkpoint after 0"),
                          results.resolved(jump, jump_interval)]),
        results.claim("... then gradually decreases as training continues.",
                "mean over MNIST tasks of swap invariance at the last checkpoint - at the first after 0 (MLP); "
                "holds if < 0", float(np.mean((mlp[:, 2] - mlp[:, 1]) if len(mlp) else na)), lambda v: v < 0,
                requires=[results.begun(t, ("MLP",), "mnist")]),
        results.claim("... settling at a larger value than the FNTK's.",
                "mean over MNIST tasks of swap invariance at the last checkpoint - at 0 (MLP); holds if > 0",
                float(np.mean((mlp[:, 2] - mlp[:, 0]) if len(mlp) else na)), lambda v: v > 0,
                requires=[results.begun(t, ("MLP",), "mnist")]),
        results.claim("For the VGG-like network on CIFAR-10 cat vs dog the swap invariance decreases substantially.",
                "relative change of swap invariance from initialization to the last checkpoint (VGG, cat vs dog or its "
                "stand-in); holds if < -0.1", cifar_rel, lambda v: v < -0.1,
                requires=[results.trained(cifar_loss, results.LEARNING, "training loss at the last checkpoint")],
                standin=standin),
        results.claim("The decrease may be greatest on CIFAR-10, where global information matters more.",
                "relative decrease on cat vs dog (or its stand-in) - mean relative decrease on the MNIST tasks (VGG); "
                "holds if < 0 (tested where cat vs dog decreases beyond its interval over seeds)",
                cifar_rel - mnist_rel, lambda v: v < 0,
                requires=[results.trained(cifar_loss, results.LEARNING, "training loss at the last checkpoint"), decreased,
                          results.resolved(cifar_rel - mnist_rel, np.hypot(cifar_rel_interval, mnist_rel_interval))],
                standin=standin),
        results.claim("The mega-VGG-like network's after kernel has significantly less swap invariance than the VGG-like "
                "network's.", "swap invariance at the last checkpoint, mega-VGG - VGG (first MNIST task); holds if < 0",
                float(mega - vgg), lambda v: v < 0),
    ]
