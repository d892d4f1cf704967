"""Figure 5: invariance of the after kernel's features to one-pixel shifts, a one-pixel-border zoom
and ±0.25 rad rotations of test images, against the epochs of training (panels as Figure 4)."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = results.invariance_series(c.FAMILIES)
FAMILY_STYLE = {"invariance translation": "-", "invariance zoom": "--", "invariance rotation": ":"}


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx, mega=True))})


def title(ctx) -> str:
    return f"Figure 5: translation, zoom and rotation invariance of the after kernel vs epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 5.** Mean cosine similarity between the after-kernel features of a test image and of the image "
        "shifted by one pixel (right and down, averaged), zoomed (a one-pixel border cropped, resized back "
        "bilinearly) and rotated by ±0.25 rad (averaged), against the epochs of training; panels as in Figure 4. "
        "The paper: in all cases the invariance shoots up after one epoch, then decreases, in most cases settling "
        "above the FNTK's; the fully connected network's kernel is less invariant throughout; the VGG kernel on cat "
        "vs dog ends much less rotation invariant than at initialization. Scorecard: Figure 5 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(4)
    for ax, (model, group, name) in zip(axes, c.INVARIANCE_PANELS):
        tasks = results.tasks_of(t, model, group)
        for task in tasks:
            for series, ls in FAMILY_STYLE.items():
                drawing.line(ax, t, "epoch", model, task, series, label=f"{series.split()[1]}, {drawing.short(task)}", ls=ls,
                       marker="o", color=drawing.task_color(tasks, task))
        drawing.epoch_axis(ax, t["epoch"])
        ax.set_ylabel("kernel invariance")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for k in tasks) else ""))
    return drawing.finish(fig, axes, title)


def points(t):
    """(model, task, series, value at 0, at the first later checkpoint, at the last)."""
    return [p[:6] for p in intervals(t)]


def intervals(t):
    """``points`` with the interval over seeds at 0, the first later checkpoint and the last, and
    the training loss at the first later checkpoint and at the last (NaN where the table has none)."""
    out = []
    for model, task, _ in results.panels(t):
        for series in SERIES:
            xs, ys, ci = results.curve(t, model, task, series)
            if len(xs) >= 3 and xs[0] == 0:
                out.append((model, task, series, ys[0], ys[1], ys[-1], ci[0], ci[1], ci[-1],
                            results.loss_at(t, model, task, xs[1]), results.loss_at(t, model, task, xs[-1])))
    return out


def learning(losses, where: str) -> str:
    """'' when every network with a known training loss there has begun to learn."""
    known = [v for v in losses if np.isfinite(v)]
    return results.trained(max(known, default=float("nan")), results.LEARNING, f"largest training loss {where}")


def claims(t):
    p = points(t)
    q = intervals(t)
    up, up_undecided = results.every_case(((r[4] - r[3], np.hypot(r[7], r[6])) for r in q), +1)
    down, down_undecided = results.every_case(((r[5] - r[4], np.hypot(r[8], r[7])) for r in q), -1)
    v = np.array([r[3:] for r in p], dtype=np.float64).reshape(-1, 3)
    frac = (lambda mask: float(mask.mean()) if len(mask) else float("nan"))
    diffs = []
    for e in np.unique(t["epoch"][np.isin(t["series"], list(SERIES))]):
        pairs = []
        for task in results.tasks_of(t, "MLP", "mnist"):
            for series in SERIES:
                m, vv = results.value_at(t, "MLP", task, series, e), results.value_at(t, "VGG", task, series, e)
                pairs.append(m - vv)
        diffs.append(results.mean_finite(pairs))
    rot = float("nan")
    for task in results.tasks_of(t, "VGG", "cifar"):
        xs, ys, _ = results.curve(t, "VGG", task, "invariance rotation")
        if len(xs) >= 2 and xs[0] == 0:
            rot = float((ys[-1] - ys[0]) / ys[0])
    return [
        results.claim("In all cases the translation, zoom and rotation invariance shoots up after one epoch of training.",
                "fraction of (setting, transform) with invariance at the first checkpoint after 0 above that at 0 by "
                "more than the interval over seeds; holds if 1 (tested where the networks have begun to learn "
                f"there, training loss < {results.LEARNING}, and no change is undecided)",
                up, lambda x: x == 1, requires=[learning([r[9] for r in q], "at the first checkpoint after 0"),
                                                up_undecided]),
        results.claim("... then decreases as training continues.",
                "fraction of (setting, transform) with invariance at the last checkpoint below that at the first after "
                "0 by more than the interval over seeds; holds if 1 (tested as above, at the last checkpoint)",
                down, lambda x: x == 1, requires=[learning([r[10] for r in q], "at the last checkpoint"),
                                                  down_undecided]),
        results.claim("In most cases the invariance settles at a value larger than the FNTK's.",
                "fraction of (setting, transform) with invariance at the last checkpoint > at 0; holds if > 0.5",
                frac(v[:, 2] > v[:, 0]), lambda x: x > 0.5, requires=[results.begun(t)]),
        results.claim("The fully connected network's kernel starts out less invariant than the VGG-like network's, and "
                "stays so throughout training.",
                "largest over checkpoints of the mean (MLP - VGG) invariance over MNIST tasks and transforms; "
                "holds if < 0", max(diffs) if diffs and np.all(np.isfinite(diffs)) else float("nan"), lambda x: x < 0),
        results.claim("The after kernel of the VGG-like network on CIFAR-10 cat vs dog is much less rotation invariant than "
                "at initialization.", "relative change of rotation invariance from initialization to the last "
                "checkpoint (VGG, cat vs dog or its stand-in); holds if < -0.1", rot, lambda x: x < -0.1,
                requires=[results.begun(t, ("VGG",), "cifar")],
                standin=results.standin(t)),
    ]
