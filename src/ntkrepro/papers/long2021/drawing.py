"""Long 2021's panels: one per setting (or per transform), mean ± confidence interval over seeds of
each series, the legend below the panels."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from ... import plotting
from .common import FAMILIES, FAMILY_NAMES
from .results import curve, panels

SERIES_STYLE = {
    "svm after kernel": dict(color="#1f77b4", ls="-", marker="o"),
    "network": dict(color="#d62728", ls="--", marker="s"),
    "svm conjugate kernel": dict(color="#2ca02c", ls="-.", marker="^"),
}
TASK_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]


def errorbar(ax, xs, ys, es, **style):
    es = np.where(np.isfinite(es), es, 0.0)
    ax.errorbar(xs, ys, yerr=es, ms=3, capsize=2, lw=1.2, **style)


def epoch_axis(ax, epochs=None):
    """A symmetric-log epoch axis (0 included) with a tick at each epoch shown."""
    ax.set_xscale("symlog", linthresh=1)
    plotting.plain_log_axis(ax.xaxis)
    if epochs is not None and len(epochs):
        ticks = sorted({int(e) for e in epochs})
        ax.set_xticks(ticks, [str(e) for e in ticks])
    ax.set_xlabel("kernel training epochs")


def lr_axis(ax, lrs=None):
    """A log learning-rate axis with a plain tick at each rate shown."""
    ax.set_xscale("log")
    if lrs is not None and len(lrs):
        ticks = sorted({float(v) for v in lrs})
        ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("learning rate (trained to the loss target)")


def grid(n: int, width: float = 3.3, height: float = 2.6):
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows + 0.6 * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def finish(fig, axes, title: str):
    # below the panels, never over their data (the panels' curves fill their axes)
    plotting.legend_below(fig, axes)
    fig.suptitle(title, fontsize=8)
    return fig


def line(ax, t, x, model, task, series, *, augmentation=0, label=None, **style):
    xs, ys, es = curve(t, model, task, series, x, augmentation)
    if len(xs):
        errorbar(ax, xs, ys, es, label=label, **style)


def task_color(tasks: list, task: str) -> str:
    return TASK_COLORS[list(tasks).index(task) % len(TASK_COLORS)]


def short(task: str) -> str:
    """A task label short enough for a legend."""
    return task.split(" of ")[0] if " (stand-in" in task else task


def panel_name(model: str, task: str) -> str:
    return f"{model}, {short(task)}" + (" (stand-in)" if "(stand-in" in task else "")


def setting_panels(t, title: str, x: str, series: list[str], ylabel: str, augmentations=(0,)):
    """One panel per (model, task) of the table, each with the given series (and augmentations)."""
    keys = panels(t)
    fig, axes = grid(len(keys))
    for ax, (model, task, _) in zip(axes, keys):
        for name in series:
            for aug in augmentations:
                style = dict(SERIES_STYLE.get(name, {}))
                if aug:
                    style.update(mfc="white", alpha=0.8)
                suffix = (", augmented" if aug else ", no augmentation") if len(augmentations) > 1 else ""
                line(ax, t, x, model, task, name, augmentation=aug, label=name + suffix, **style)
        if x == "epoch":
            epoch_axis(ax, t["epoch"])
        else:
            lr_axis(ax, t["lr"])
        ax.set_ylabel(ylabel)
        ax.set_title(panel_name(model, task))
    return finish(fig, axes, title)


def lr_family_panels(t, title: str, augmentations=(0,)):
    """Figures 11 and 14: one panel per transform for the MNIST tasks, one for cat vs dog."""
    fig, axes = grid(4)
    mnist = [(m, task) for m, task, g in panels(t) if g == "mnist"]
    for ax, family in zip(axes, FAMILIES):
        series = f"invariance {FAMILY_NAMES[family]}"
        for i, (model, task) in enumerate(mnist):
            for aug in augmentations:
                line(ax, t, "lr", model, task, series, augmentation=aug, marker="o" if model == "VGG" else "s",
                     color=TASK_COLORS[i % len(TASK_COLORS)], ls=":" if aug else "-", mfc="white" if aug else None,
                     label=f"{model}, {task}" + (", augmented" if aug else ""))
        lr_axis(ax, t["lr"])
        ax.set_ylabel(f"{FAMILY_NAMES[family]} invariance")
        ax.set_title(f"({'abc'[FAMILIES.index(family)]}) {FAMILY_NAMES[family]}, MNIST tasks")
    ax = axes[3]
    cifar = [(m, task) for m, task, g in panels(t) if g == "cifar"]
    for model, task in cifar:
        for i, family in enumerate(FAMILIES):
            for aug in augmentations:
                line(ax, t, "lr", model, task, f"invariance {FAMILY_NAMES[family]}", augmentation=aug, marker="o",
                     color=TASK_COLORS[i], ls=":" if aug else "-", mfc="white" if aug else None,
                     label=FAMILY_NAMES[family] + (", augmented" if aug else ""))
    lr_axis(ax, t["lr"])
    ax.set_ylabel("kernel invariance")
    ax.set_title("(d) VGG-like, cat vs dog" + (" (stand-in)" if any("(stand-in" in k for _, k in cifar) else ""))
    return finish(fig, axes, title)
