"""Figures 2-5: accuracy against width, from the final metrics of each run; mean ± sd over seeds
(ddof=0), the gaps between network and linearization and the claims on them."""

from __future__ import annotations

import matplotlib.pyplot as plt

from ... import plotting, tables
from ...claims import Claim, check, untested
from ...figure_stats import gap, over_seeds
from .common import classes, seeds, width_label, width_variant, widths

NETWORK_STYLE = {"marker": "o", "ls": "-"}
LINEAR_STYLE = {"marker": "*", "ls": "--", "ms": 7}
REFERENCE_COLOR = "#9a9a9a"

LABELS = ("role", "dataset", "name", "kind", "width", "seed")


def accuracy_runs(ctx, *, model: str, dataset: str, recipe: str, role: str, names: dict, key: str = "model",
                  width_list=None) -> list:
    """(labels, run) of ``model`` at every width and seed on ``dataset``, one run per entry of
    ``names`` ({display name: form}, e.g. {"LeNet": "network", "LinLeNet": "linearized"})."""
    out = []
    for w in width_list or widths(ctx):
        variant = width_variant(ctx, model, w, key, outputs=classes(ctx, dataset))
        for name, form in names.items():
            for seed in seeds(ctx):
                out.append(({"role": role, "dataset": dataset, "name": name, "kind": form, "width": w, "seed": seed},
                            ctx.run("classes", variant, form=form, recipe=recipe, seed=seed, dataset=dataset)))
    return out


def accuracy_table(inputs, params) -> dict:
    """One row per run: its labels and its final training and test accuracy (training accuracy: the
    mean over the last epoch's mini-batches)."""
    rows: dict[str, list] = {k: [] for k in LABELS + ("train_accuracy", "test_accuracy")}
    for label, path in inputs["metrics"]:
        last = tables.final(path)
        for k in LABELS:
            rows[k].append(label[k])
        rows["train_accuracy"].append(last["train_accuracy"])
        rows["test_accuracy"].append(last["test_accuracy"])
    return rows


def series(t, role: str, name: str, column: str):
    """(widths, mean, standard deviation over seeds, ddof=0) of ``column`` for one dataset role and model name."""
    rows = (t["role"] == role) & (t["name"] == name)
    return over_seeds(t["width"][rows], t[column][rows], ddof=0)


def plot_accuracy(t, title: str, *, reference: str | None = None):
    """Training (left) and test accuracy (right) against width: networks (•, solid) and linearizations
    (★, dashed), mean ± standard deviation over seeds; a reference dataset in grey."""
    roles = [r for r in dict.fromkeys(t["role"].tolist()) if r != "reference"]
    if reference is not None and (t["role"] == "reference").any():
        roles = ["reference"] + roles
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, column, label in zip(axes, ("train_accuracy", "test_accuracy"), ("training accuracy", "test accuracy")):
        for role in roles:
            rows = t["role"] == role
            for i, name in enumerate(dict.fromkeys(t["name"][rows].tolist())):
                kind = t["kind"][rows & (t["name"] == name)][0]
                w, mean, std = series(t, role, name, column)
                style = NETWORK_STYLE if kind == "network" else LINEAR_STYLE
                ref = role == "reference"
                ax.errorbar(w, mean, yerr=std, color=REFERENCE_COLOR if ref else plotting.MODEL_COLORS[i % 5],
                            capsize=2, lw=1 if ref else 1.5, ms=style.get("ms", 4), marker=style["marker"],
                            ls=style["ls"], label=f"{name}, {reference}" if ref else name)
        ax.set_xscale("log")
        ax.set_xticks(sorted(set(t["width"].tolist())))
        plotting.plain_log_axis(ax.xaxis)
        ax.set_xlabel("width factor")
        ax.set_ylabel(label)
    axes[1].legend(fontsize=7, frameon=False)
    fig.suptitle(title)
    return fig


def gaps(t, role: str, net: str, lin: str, column: str = "test_accuracy") -> dict:
    """Per width: mean accuracy of ``net`` minus that of ``lin``, in percentage points."""
    at, difference = gap(*series(t, role, net, column)[:2], *series(t, role, lin, column)[:2])
    return dict(zip(at.tolist(), 100 * difference))


def gain(t, role: str, name: str, column: str = "test_accuracy") -> float:
    """Mean accuracy at the widest minus at the narrowest width (pp)."""
    w, mean, _ = series(t, role, name, column)
    return float(100 * (mean[-1] - mean[0])) if len(w) > 1 else float("nan")


def gap_claims(t, role: str, what: str, paper: tuple[float, float], at_widest: tuple[str, object, str],
               net: str = "LeNet", lin: str = "LinLeNet") -> list[Claim]:
    """The paper's statements on the gap between a network and its linearization on one dataset:
    at every width, shrinking with width, its size at ×60, the linearization's gain with width, and
    the training-accuracy gap."""
    g = gaps(t, role, net, lin)
    out = []
    smallest = min(g.values()) if g else float("nan")
    out.append(Claim(f"{net} beats {lin} in test accuracy at every width on {what}.",
                     "min over widths of the mean test-accuracy gap network - linearization (pp); holds if > 0",
                     smallest, check(smallest, lambda v: v > 0)))
    w = sorted(g)
    shrink = g[w[-1]] - g[w[0]] if len(w) > 1 else float("nan")
    out.append(Claim(f"The gap shrinks with width on {what} (paper: {paper[0]} pp at ×1, {paper[1]} pp at ×60).",
                     f"gap at the widest ({width_label(w[-1]) if w else '-'}) - gap at the narrowest width (pp); holds if < 0",
                     shrink, check(shrink, lambda v: v < 0)))
    text, test, rule = at_widest
    statement = f"{text} on {what} (paper: {paper[1]} pp at ×60 vs {paper[0]} pp at ×1)."
    if 1 in g and 60 in g:
        value = g[60] / g[1] if g[1] else float("nan")
        out.append(Claim(statement, f"gap(×60) / gap(×1); {rule}", value, check(value, test)))
    else:
        out.append(untested(statement, f"gap(×60) / gap(×1); {rule}", "widths ×1 and ×60 are not both built at this scale"))
    improvement = gain(t, role, lin) - gain(t, role, net)
    out.append(Claim(f"{lin} improves strongly with width, {net} much less, on {what}.",
                     "test-accuracy gain from the narrowest to the widest width, linearization - network (pp); holds if > 0",
                     improvement, check(improvement, lambda v: v > 0)))
    train = gaps(t, role, net, lin, "train_accuracy")
    low = min(train.values()) if train else float("nan")
    out.append(Claim(f"{lin} also reaches a lower training accuracy than {net} at every width on {what}.",
                     "min over widths of the mean training-accuracy gap network - linearization (pp); holds if > 0",
                     low, check(low, lambda v: v > 0)))
    return out


def harder_claim(t, role: str, reference: str, statement: str, net: str = "LeNet", lin: str = "LinLeNet") -> Claim:
    """The gap on the ``role`` dataset exceeds the gap on the reference dataset at every width."""
    if not (t["role"] == "reference").any():
        return untested(statement, f"min over widths of gap(this dataset) - gap({reference}) (pp); holds if > 0",
                        f"the figure's dataset is {reference} itself (needs another)")
    hard, easy = gaps(t, role, net, lin), gaps(t, "reference", net, lin)
    diffs = [hard[w] - easy[w] for w in hard if w in easy]
    value = min(diffs) if diffs else float("nan")
    return Claim(statement, f"min over widths of gap(this dataset) - gap({reference}) (pp); holds if > 0", value,
                 check(value, lambda v: v > 0))


