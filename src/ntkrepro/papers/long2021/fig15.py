"""Figure 15 (appendix A): test error of the networks against their number of parameters (parameter
budgets of about 60K, 80K and 100K), after several numbers of epochs of training."""

import math

import numpy as np

from ... import io, plotting
from ...errors import ConfigError
from ...models import mlp as mlp_arch
from ...models import vgg as vgg_arch
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "budgets": {"type": "array", "minItems": 2, "uniqueItems": True,
                    "items": {"type": "number", "exclusiveMinimum": 0}, "default": [60000, 80000, 100000]},
        # epochs whose test error is shown (null: the paper's checkpoints after 0)
        "epochs": c.EPOCHS,
        # seeds of these runs (null: the paper's)
        "seeds": c.OPTIONAL_SEEDS,
    },
}
NOT_MUCH = 0.01


def sized(ctx, setting, budget: float) -> str:
    """The setting's model sized from ``budget`` as Long's code sizes it (the model itself if that is its size)."""
    spec = ctx.plan.model_spec(setting.model)
    options, shape = spec["options"], ctx.plan.input_shape(setting.dataset)
    if spec["arch"] == "vgg":
        if options.get("budget") is not None:
            return setting.model if options["budget"] == budget else ctx.model_variant(setting.model, budget=budget)
        width = vgg_arch.width_for_budget(budget, shape[1], shape[0], blocks=options.get("blocks", 2),
                                          convs_per_block=options.get("convs_per_block", 2))
        return setting.model if options["channels"] == width else ctx.model_variant(setting.model, channels=width)
    if spec["arch"] == "mlp":
        widths = options.get("widths", [100, 100])
        width = mlp_arch.width_for_budget(budget, math.prod(shape), len(widths))
        if "budget" not in options and all(w == width for w in widths):
            return setting.model
        return ctx.model_variant(setting.model, budget=budget)
    raise ConfigError(f"config key '{ctx.paper_key}.fig15.budgets': model {setting.model!r} ({spec['arch']}) has no "
                      "parameter-budget sizing (vgg and mlp have)")


def needs(ctx):
    s = ctx.section
    epochs = sorted(s.get("epochs") or [e for e in ctx.paper["epochs"] if e > 0])
    total = ctx.recipe().epochs
    if epochs[0] < 1 or epochs[-1] > total:
        raise ConfigError(f"config key '{ctx.paper_key}.fig15.epochs': epochs must lie in 1..{total} (the recipe's)")
    items, counts = [], {}
    recipe = c.epoch_recipe(ctx, False)
    for setting in c.settings(ctx):
        for budget in sorted(s["budgets"]):
            model = sized(ctx, setting, budget)
            counts[model] = c.parameters(ctx, model, setting.dataset)
            for seed in s.get("seeds") or c.seeds(ctx):
                lab = c.label(setting, seed, False, budget=float(budget), parameters=counts[model])
                items.append((lab, c.metrics_request(ctx, setting, recipe, seed, model)))
    return Needs({"metrics": items}, {"epochs": epochs})


def title(ctx) -> str:
    return f"Figure 15: network test error vs parameter count ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 15 (appendix A).** Test error of the networks against their true parameter count, for networks "
        "sized from parameter budgets (``fig15.budgets``) as the author's code sizes them (the smallest width whose "
        "approximate count reaches the budget), after several numbers of epochs of Keras-default training: (a) MNIST "
        "tasks, (b) VGG-like on cat vs dog. The paper: the test error does not improve much from about 60K to 100K "
        f"parameters (read as: by at most {NOT_MUCH}). Scorecard: Figure 15 line."
    )


def table(inputs, params) -> dict:
    """Per setting, budget and epoch: the networks' test error (mean, ci, n over seeds) and their mean
    training loss over that epoch's mini-batches (mean over seeds)."""
    groups, losses = {}, {}
    for lab, path in inputs["metrics"]:
        m = io.read_csv(path)
        for e in params["epochs"]:
            hit = np.flatnonzero(m["epoch"] == e)
            if len(hit):
                key = (lab["model"], lab["task"], lab["group"], lab["budget"], lab["parameters"], e)
                groups.setdefault(key, []).append(1.0 - float(m["test_accuracy"][hit[0]]))
                losses.setdefault(key, []).append(float(m["train_loss"][hit[0]]))
    cols = {k: [] for k in ("model", "task", "group", "budget", "parameters", "epoch", "mean", "ci", "n", "train_loss")}
    for key, values in groups.items():
        mean, half, n = results.mean_ci(values)
        for name, v in zip(("model", "task", "group", "budget", "parameters", "epoch"), key):
            cols[name].append(v)
        cols["mean"].append(mean)
        cols["ci"].append(half)
        cols["n"].append(n)
        cols["train_loss"].append(float(np.mean(losses[key])))
    return cols


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(2, width=4.4, height=3.2)
    epochs = sorted(set(t["epoch"].astype(int)))
    styles = ["-", "--", ":", "-."]
    for ax, group, name in ((axes[0], "mnist", "(a) MNIST tasks"), (axes[1], "cifar", "(b) VGG-like, cat vs dog")):
        keys = [(m, task) for m, task, g in results.panels(t) if g == group]
        for i, (model, task) in enumerate(keys):
            for j, e in enumerate(epochs):
                rows = (t["model"] == model) & (t["task"] == task) & (t["epoch"] == e)
                order = np.argsort(t["parameters"][rows])
                drawing.errorbar(ax, t["parameters"][rows][order], t["mean"][rows][order], t["ci"][rows][order],
                           color=drawing.TASK_COLORS[i % len(drawing.TASK_COLORS)], ls=styles[j % len(styles)],
                           marker="o" if model == "VGG" else "s",
                           label=f"{model}, {drawing.short(task)}, {e} epochs")
        ax.xaxis.set_major_formatter(lambda v, _: f"{v / 1000:g}K")  # 55000 60000 ... ran together
        ax.set_xlabel("parameters")
        ax.set_ylabel("network test error")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for _, k in keys) else ""))
    return drawing.finish(fig, axes, title)


def claims(t):
    gains, trained = [], []
    for model, task, _ in results.panels(t):
        for e in np.unique(t["epoch"]):
            rows = (t["model"] == model) & (t["task"] == task) & (t["epoch"] == e)
            if rows.sum() >= 2:
                order = np.argsort(t["budget"][rows])
                errors = t["mean"][rows][order]
                gains.append(float(errors[0] - errors[-1]))
                trained.append(float(np.max(t["train_loss"][rows])))
    value = max(gains) if gains else float("nan")
    # networks that have not learned have the same (chance) error at every size: that shows nothing
    return [results.claim("The test error does not improve much as the model grows from about 60K to about 100K parameters.",
                          "largest over settings and epochs of test error (smallest budget) - (largest budget); holds "
                          f"if <= {NOT_MUCH} (tested where every network has begun to learn: training loss < "
                          f"{results.LEARNING})", value, lambda v: v <= NOT_MUCH,
                          requires=[results.trained(max(trained, default=float("nan")), results.LEARNING,
                                                    "largest training loss at the compared epochs")])]
