"""What Tables 1 and 2 share: the binary MNIST task (a digit vs the rest, one output) solved three ways
at each width: LeNet trained with SGD, its linearization trained with SGD and the linearization solved
exactly (the minimum-norm least-squares solution on the Jacobian, as kernel regression with ridge 0 on
the NTK of the training and test samples)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ... import io, plotting, tables, tasks
from ...claims import Claim, check, untested
from ...errors import ConfigError
from ...pipeline import Kernel, Needs, Regression
from .common import PAPER_WIDTHS, WIDTHS, width_label, width_variant, widths

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "recipe": {"type": "string", "default": "samarin2022-binary"},
        "solver_widths": {**WIDTHS, "default": [1, 2, 5]},
        "digit": {"type": "integer", "minimum": 0, "maximum": 9, "default": 0},
    },
}
METHODS = ("Solver", "Lin.", "LeNet")
SPLITS = ("Test", "Train")
FORM = {"Lin.": "linearized", "LeNet": "network"}


def task_name(ctx) -> str:
    return f"onevsrest{ctx.section['digit']}"


def requests(ctx, dataset: str, role: str) -> dict:
    s = ctx.section
    task = task_name(ctx)
    model = ctx.paper["model"]
    runs, solves = [], []
    for w in widths(ctx):
        name = width_variant(ctx, model, w, outputs=1)
        for method, form in FORM.items():
            runs.append(({"role": role, "dataset": dataset, "method": method, "width": w},
                         ctx.run(task, name, form=form, recipe=s["recipe"], dataset=dataset)))
    for w in sorted(s["solver_widths"]):
        name = width_variant(ctx, model, w, outputs=1)
        kernel = Kernel(ctx.state(name, dataset=dataset), samples=tasks.sample_source(task), split="all", kind="ntk")
        solves.append(({"role": role, "dataset": dataset, "method": "Solver", "width": w}, Regression(kernel, task)))
    return {"metrics": runs, "solver": solves}


def needs(ctx, datasets: list[tuple[str, str]]) -> Needs:
    if ctx.config["regression"]["ridge"] != 0:
        raise ConfigError(f"config key 'regression.ridge': {ctx.config['regression']['ridge']}, but the solver of "
                          f"{ctx.paper_key}.{ctx.key} is the unregularized minimum-norm solution (ridge 0)")
    inputs: dict[str, list] = {"metrics": [], "solver": []}
    for role, dataset in datasets:
        for k, v in requests(ctx, dataset, role).items():
            inputs[k] += v
    return Needs(inputs, {"test_samples": {role: ctx.sizes(dataset)[1] for role, dataset in datasets}})


def title(ctx, dataset: str, what: str) -> str:
    n_train, n_test = ctx.sizes(dataset)
    r = ctx.recipe(ctx.section["recipe"])
    return (f"Digit {ctx.section['digit']} vs the rest on {dataset} ({what}), {n_train:,} training + {n_test:,} test "
            f"samples: LeNet and LinLeNet ({r.epochs} epochs, lr {r.lr:g}) and the solver")


def caption(ctx, number: int, dataset: str, what: str) -> str:
    s = ctx.section
    r = ctx.recipe(s["recipe"])
    return (
        f"**Table {number}.** Accuracy (%) on {dataset} ({what}) of digit {s['digit']} vs the rest (one output, "
        f"MSE on ±1 targets, prediction by sign): LeNet and its linearization LinLeNet trained with SGD "
        f"(lr {r.lr:g}, {r.epochs} epochs, one seed) at widths {', '.join(width_label(w) for w in widths(ctx))}, and "
        f"the solver, the minimum-norm least-squares solution of the linearization (kernel regression with ridge 0 "
        f"on the NTK at θ0) at widths {', '.join(width_label(w) for w in sorted(s['solver_widths']))}. The Markdown "
        f"table shows each regenerated value beside the paper's, in parentheses. Scorecard: table{number} lines."
    )


def table(inputs, params, papers: dict) -> dict:
    """Rows (role, dataset, split, method, width): regenerated and paper accuracy in %, NaN where one of
    them does not exist, and the number of test samples (the resolution of a test accuracy); the main
    rows cover the configured and the paper's widths."""
    got = {}
    for label, path in inputs["metrics"]:
        last = tables.final(path)
        got[(label["role"], label["method"], float(label["width"]), "Test")] = 100 * last["test_accuracy"]
        got[(label["role"], label["method"], float(label["width"]), "Train")] = 100 * last["train_accuracy"]
    datasets = {}
    for label, path in inputs["solver"] + inputs["metrics"]:
        datasets[label["role"]] = label["dataset"]
    for label, path in inputs["solver"]:
        fit = io.read_csv(path)
        got[(label["role"], "Solver", float(label["width"]), "Test")] = 100 * float(fit["test_accuracy"][0])
        got[(label["role"], "Solver", float(label["width"]), "Train")] = 100 * float(fit["train_accuracy"][0])
    rows = {k: [] for k in ("role", "dataset", "split", "method", "width", "accuracy", "paper", "test_samples")}
    for role, dataset in datasets.items():
        configured = {k[2] for k in got if k[0] == role}
        grid = sorted(configured | (set(map(float, PAPER_WIDTHS)) if role == "main" else set()))
        for split in SPLITS:
            for method in METHODS:
                for w in grid:
                    rows["role"].append(role)
                    rows["dataset"].append(dataset)
                    rows["split"].append(split)
                    rows["method"].append(method)
                    rows["width"].append(w)
                    rows["accuracy"].append(got.get((role, method, w, split), float("nan")))
                    rows["paper"].append(papers[role].get((split, method), {}).get(w, float("nan")))
                    rows["test_samples"].append(params["test_samples"][role])
    return rows


def cell(value: float, paper: float) -> str:
    ours = "–" if math.isnan(value) else f"{value:.2f}"
    return ours if math.isnan(paper) else f"{ours} ({paper:g})"


def markdown(t, heading: str) -> str:
    main = t["role"] == "main"
    grid = sorted(set(t["width"][main].tolist()))
    lines = [heading, "", f"Dataset: {t['dataset'][main][0]}. Each cell: the regenerated accuracy (%), then the "
             "paper's in parentheses; – where it was not computed (a width not configured, or beyond the solver's).", "",
             "| | | " + " | ".join(width_label(w) for w in grid) + " |", "|---|---|" + "---|" * len(grid)]
    for split in SPLITS:
        for i, method in enumerate(METHODS):
            cells = []
            for w in grid:
                r = main & (t["split"] == split) & (t["method"] == method) & (t["width"] == w)
                cells.append(cell(float(t["accuracy"][r][0]), float(t["paper"][r][0])))
            lines.append(f"| {split if i == 0 else ''} | {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(t, title):
    main = t["role"] == "main"
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, split in zip(axes, SPLITS):
        for i, method in enumerate(METHODS):
            r = main & (t["split"] == split) & (t["method"] == method)
            w, ours, paper = t["width"][r], t["accuracy"][r], t["paper"][r]
            c = plotting.MODEL_COLORS[i]
            ok = np.isfinite(ours)
            ax.plot(w[ok], ours[ok], "o-", ms=4, color=c, label=f"{method} (regenerated)")
            ok = np.isfinite(paper)
            ax.plot(w[ok], paper[ok], "s:", ms=4, mfc="none", color=c, label=f"{method} (paper)")
        ax.set_xscale("log")
        ax.set_xticks(sorted(set(t["width"][main].tolist())))
        plotting.plain_log_axis(ax.xaxis)
        ax.set_xlabel("width factor")
        ax.set_ylabel(f"{split.lower()} accuracy (%)")
    axes[1].legend(fontsize=6, frameon=False)
    fig.suptitle(title)
    return fig


def one_test_sample(t, role: str = "main") -> float:
    """One test sample of the role's dataset, in percentage points of test accuracy."""
    n = t["test_samples"][t["role"] == role]
    return 100.0 / float(n[0]) if len(n) else float("nan")


def values(t, role: str, split: str, method: str) -> dict:
    r = (t["role"] == role) & (t["split"] == split) & (t["method"] == method) & np.isfinite(t["accuracy"])
    return dict(zip(t["width"][r].tolist(), t["accuracy"][r].tolist()))


def claims(t, what: str, paper_x1: tuple[float, float]) -> list[Claim]:
    out = []
    solver_train = values(t, "main", "Train", "Solver")
    value = min(solver_train.values()) if solver_train else float("nan")
    out.append(Claim(f"The solver fits the training set exactly (100% training accuracy) at every width it is run at, on {what}.",
                     "min over the solver's widths of its training accuracy (%); holds if = 100",
                     value, check(value, lambda v: v >= 100 - 1e-9)))
    lin = values(t, "main", "Test", "Lin.")
    w = sorted(lin)
    value = lin[w[-1]] - lin[w[0]] if len(w) > 1 else float("nan")
    out.append(Claim(f"The SGD-trained linearization's test accuracy rises with width on {what}.",
                     "test accuracy of Lin. at the widest - at the narrowest width (pp); holds if > 0",
                     value, check(value, lambda v: v > 0)))
    solver = values(t, "main", "Test", "Solver")
    statement = (f"At ×1 the solver generalizes worse than the SGD-trained linearization on {what} "
                 f"(paper: {paper_x1[0]}% vs {paper_x1[1]}%).")
    rule = "test accuracy at ×1: solver - Lin. (pp); holds if < 0"
    if 1 in solver and 1 in lin:
        value = solver[1] - lin[1]
        out.append(Claim(statement, rule, value, check(value, lambda v: v < 0)))
    else:
        out.append(untested(statement, rule, "width ×1 is not built at this scale"))
    statement = f"At ×1 the SGD-trained linearization does not reach LeNet's training accuracy on {what}."
    rule = "training accuracy at ×1: LeNet - Lin. (pp); holds if > 0"
    net, lin_train = values(t, "main", "Train", "LeNet"), values(t, "main", "Train", "Lin.")
    if 1 in net and 1 in lin_train:
        value = net[1] - lin_train[1]
        out.append(Claim(statement, rule, value, check(value, lambda v: v > 0)))
    else:
        out.append(untested(statement, rule, "width ×1 is not built at this scale"))
    return out


def matches_at_60(t, what: str) -> Claim:
    statement = f"LinLeNet×60 matches LeNet×60 in training and test accuracy on {what}."
    rule = "max over training and test of |Lin. - LeNet| at ×60 (pp); holds if ≤ 0.1"
    diffs = []
    for split in SPLITS:
        lin, net = values(t, "main", split, "Lin."), values(t, "main", split, "LeNet")
        if 60 in lin and 60 in net:
            diffs.append(abs(lin[60] - net[60]))
    if len(diffs) < 2:
        return untested(statement, rule, "width ×60 is not built at this scale")
    value = max(diffs)
    return Claim(statement, rule, value, check(value, lambda v: v <= 0.1))
