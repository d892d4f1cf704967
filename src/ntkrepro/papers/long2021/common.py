"""What the figures of Long 2021 share: the settings (architecture x task), the requests for a
setting's network states (epochs of the Keras-default run, learning rates trained to a loss target,
with or without augmentation), the tables (mean and confidence interval over seeds of each measure)
and the drawing and claim helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from ... import io, plotting
from ...claims import Claim, check
from ...errors import ConfigError
from ...figure_stats import gap, mean_ci, mean_finite, slope_vs_log  # noqa: F401  (figure modules use c.mean_finite, c.slope_vs_log)
from ...models import build_model, parameter_count
from ...pipeline import Evaluation, Kernel, Metrics
from ...training import FINAL

PAIR = {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "integer", "minimum": 0, "maximum": 9}}
SEEDS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 0}}
OPTIONAL_SEEDS = {"oneOf": [{"type": "null"}, SEEDS], "default": None}
EPOCHS = {"oneOf": [{"type": "null"}, {"type": "array", "minItems": 1, "uniqueItems": True,
                                       "items": {"type": "integer", "minimum": 0}}], "default": None}
# a figure section of an epoch figure: its own checkpoints (null: the paper's `epochs`)
EPOCH_FIGURE = {"type": "object", "additionalProperties": False, "properties": {"epochs": EPOCHS}}
LR_FIGURE = {"type": "object", "additionalProperties": False, "properties": {}}
AUGMENTATION = "shift-rotate"
OTHERS = ("conjugate",)
ARCH_NAMES = {"vgg": "VGG", "mlp": "MLP", "mega": "mega-VGG"}
FAMILIES = ("shift", "zoom", "rotation")
FAMILY_NAMES = {"shift": "translation", "zoom": "zoom", "rotation": "rotation", "swap": "quadrant swap"}
# the panels of the invariance figures: (model, group, title)
INVARIANCE_PANELS = (("VGG", "mnist", "(a) VGG-like, MNIST tasks"), ("MLP", "mnist", "(b) fully connected, MNIST tasks"),
                     ("VGG", "cifar", "(c) VGG-like, cat vs dog"), ("mega-VGG", "mnist", "(d) mega-VGG-like"))
# a quantity of the evaluation files: (measure, kind, quantity)
SVM = ("svm", "ntk", "test_error")
SVM_CONJUGATE = ("svm", "conjugate", "test_error")
NETWORK = ("network", "", "test_error")
ALIGNMENT = ("alignment", "conjugate", "alignment")


@dataclass(frozen=True)
class Setting:
    """One architecture on one binary task: what a panel of the paper shows."""

    arch: str  # vgg | mlp | mega
    model: str  # the model's name under models:
    dataset: str  # the dataset the runs read
    pair: tuple[int, int]
    task: str  # the task name (with the training subset)
    group: str  # mnist | cifar
    label: str  # how titles name the task

    @property
    def name(self) -> str:
        return f"{ARCH_NAMES[self.arch]}, {self.label}"


def _dataset(ctx, name: str | None, key: str) -> str:
    base = name or ctx.config["dataset"]["name"]
    if base not in ctx.plan.datasets:
        raise ConfigError(f"config key '{ctx.paper_key}.{key}': {base!r} is not a configured dataset "
                          f"({', '.join(ctx.plan.datasets)}); add it under datasets:")
    if ctx.paper["normalize"]:
        return base
    # Long's code feeds x / 255: pixels in [0, 1], zero the black background the transforms fill in
    return ctx.dataset_variant(f"{base}-raw", {**ctx.plan.dataset_spec(base), "normalize": False})


def _task(ctx, pair, key: str, dataset: str) -> str:
    a, b = pair
    if a == b:
        raise ConfigError(f"config key '{ctx.paper_key}.{key}': a pair needs two different classes, got {list(pair)}")
    classes = ctx.plan.dataset_spec(dataset)
    from ...data import num_classes

    if max(a, b) >= num_classes(classes):
        raise ConfigError(f"config key '{ctx.paper_key}.{key}': class {max(a, b)} is beyond the "
                          f"{num_classes(classes)} classes of {dataset}")
    size = ctx.paper["train_size"]
    return f"{a}v{b}" + (f"-n{size}" if size else "")


def cifar_setting_parts(ctx) -> tuple[str, tuple[int, int], str]:
    """(dataset, pair, label) of the CIFAR-10 panels: cat vs dog on a CIFAR-10 dataset, else a stand-in pair."""
    c = ctx.paper["cifar"]
    base = c["dataset"] or ctx.paper["dataset"] or ctx.config["dataset"]["name"]
    dataset = _dataset(ctx, base, "cifar.dataset")
    source = ctx.plan.dataset_spec(dataset)["name"]
    pair = tuple(c["pair"] or ((3, 5) if source == "cifar10" else c["standin"]))
    if source == "cifar10" and pair == (3, 5):
        label = "cat vs dog"
    else:
        label = f"{pair[0]} vs {pair[1]} of {base} (stand-in for CIFAR-10 cat vs dog)"
    return dataset, pair, label


def settings(ctx, archs=("vgg", "mlp"), groups=("mnist", "cifar"), mega: bool = False) -> list[Setting]:
    """The panels' settings, in the paper's order: each MNIST pair with each of ``archs``, VGG on
    cat vs dog, mega-VGG on the first MNIST pair."""
    models = ctx.paper["models"]
    for role, name in models.items():
        if name not in ctx.plan.models:
            raise ConfigError(f"config key '{ctx.paper_key}.models.{role}': model {name!r} is not defined under models")
    out = []
    mnist = _dataset(ctx, ctx.paper["dataset"], "dataset")
    if "mnist" in groups:
        for arch in archs:
            for i, pair in enumerate(ctx.paper["pairs"]):
                task = _task(ctx, pair, f"pairs.{i}", mnist)
                out.append(Setting(arch, models[arch], mnist, tuple(pair), task, "mnist", f"{pair[0]} vs {pair[1]}"))
    if "cifar" in groups and "vgg" in archs:
        dataset, pair, label = cifar_setting_parts(ctx)
        out.append(Setting("vgg", models["vgg"], dataset, pair, _task(ctx, pair, "cifar", dataset), "cifar", label))
    if mega:
        pair = ctx.paper["pairs"][0]
        out.append(Setting("mega", models["mega"], mnist, tuple(pair), _task(ctx, pair, "pairs.0", mnist), "mnist",
                           f"{pair[0]} vs {pair[1]}"))
    return out


def seeds(ctx, which: str | None = None) -> list[int]:
    value = {"lr": ctx.paper["lr"]["seeds"], "augmentation": ctx.paper["augmentation"]["seeds"],
             "mega": ctx.paper["mega_seeds"], None: None}[which]
    return list(value if value is not None else ctx.paper["seeds"])


def figure_epochs(ctx) -> list[int]:
    """The checkpoints a figure reads (its section's ``epochs``, else the paper's), checked against the recipe."""
    epochs = sorted((ctx.section or {}).get("epochs") or ctx.paper["epochs"])
    total = ctx.recipe().epochs
    if epochs[-1] > total:
        key = "epochs" if (ctx.section or {}).get("epochs") else None
        where = f"{ctx.paper_key}.{ctx.key}.{key}" if key else f"{ctx.paper_key}.epochs"
        raise ConfigError(f"config key '{where}': epoch {epochs[-1]} is beyond the {total} epochs of recipe "
                          f"{ctx.paper['recipe']!r}")
    return epochs


def epoch_recipe(ctx, augmented: bool) -> str:
    name = ctx.paper["recipe"]
    recipe = ctx.recipe(name)
    if recipe.until_loss is not None:
        raise ConfigError(f"config key '{ctx.paper_key}.recipe': recipe {name!r} stops at a training loss; the epoch "
                          "figures need a fixed number of epochs")
    return ctx.recipe_variant(name, augmentation=AUGMENTATION) if augmented else name


def lr_recipe(ctx, lr: float, augmented: bool) -> str:
    name = ctx.paper["lr"]["recipe"]
    if ctx.recipe(name).until_loss is None:
        raise ConfigError(f"config key '{ctx.paper_key}.lr.recipe': recipe {name!r} has no until_loss; the learning-rate "
                          "figures train until the training loss reaches it")
    extra = {"augmentation": AUGMENTATION} if augmented else {}
    return ctx.recipe_variant(name, lr=float(lr), **extra)


def lrs(ctx, setting: Setting) -> list[float]:
    return sorted(ctx.paper["lr"][setting.group])


def evaluation(ctx, setting: Setting, run, epoch, *, split: str | None = None) -> Evaluation:
    """The evaluation of a run's state after ``epoch`` on the setting's task: on its training and
    test samples (SVMs too), or on its test samples alone (mega-VGG: invariances and alignment)."""
    split = split or ("test" if setting.arch == "mega" else "all")
    state = ctx.state(setting.model, run=run, epoch=epoch)
    return Evaluation(Kernel(state, samples=setting.task, split=split, kind="ntk"), setting.task, OTHERS)


def label(setting: Setting, seed: int, augmented: bool, **extra) -> dict:
    return {"model": ARCH_NAMES[setting.arch], "task": setting.label, "group": setting.group,
            "augmentation": int(augmented), "seed": seed, **extra}


def epoch_needs(ctx, group_settings, augmented_too: bool = False, augmented_only: bool = False,
                split: str | None = None) -> list:
    """(label, Evaluation) for every setting, seed and checkpoint of the epoch figures."""
    epochs = figure_epochs(ctx)
    items = []
    for augmented in ([True] if augmented_only else [False, True] if augmented_too else [False]):
        recipe = epoch_recipe(ctx, augmented)
        for s in group_settings:
            which = "mega" if s.arch == "mega" else ("augmentation" if augmented else None)
            for seed in seeds(ctx, which):
                run = ctx.run(s.task, s.model, recipe=recipe, seed=seed, dataset=s.dataset)
                for e in epochs:
                    items.append((label(s, seed, augmented, epoch=e), evaluation(ctx, s, run, e, split=split)))
    return items


def lr_needs(ctx, group_settings, augmented_too: bool = False, split: str | None = None) -> list:
    """(label, Evaluation) of the final state of every setting, seed and learning rate."""
    items = []
    for augmented in ([False, True] if augmented_too else [False]):
        for s in group_settings:
            for seed in seeds(ctx, "augmentation" if augmented else "lr"):
                for lr in lrs(ctx, s):
                    run = ctx.run(s.task, s.model, recipe=lr_recipe(ctx, lr, augmented), seed=seed, dataset=s.dataset)
                    # augmented runs: invariances only, on the test samples
                    items.append((label(s, seed, augmented, lr=float(lr)),
                                  evaluation(ctx, s, run, FINAL, split=split or ("test" if augmented else None))))
    return items


# ---- tables ---------------------------------------------------------------------------------

def read_evaluation(path) -> dict:
    t = io.read_csv(path)
    kinds = ["" if isinstance(k, float) else str(k) for k in t["kind"]]
    return {(str(m), k, str(q)): float(v) for m, k, q, v in zip(t["measure"], kinds, t["quantity"], t["value"])}


def series_table(items, x: str, series: dict[str, tuple]) -> dict:
    """One row per (model, task, augmentation, x, series): mean, ci and n over seeds of a quantity of
    the evaluation files; ``series`` maps a series name to its (measure, kind, quantity)."""
    groups: dict[tuple, list[float]] = {}
    for lab, path in items:
        values = read_evaluation(path)
        for name, key in series.items():
            if key in values:
                k = (lab["model"], lab["task"], lab["group"], lab["augmentation"], lab[x], name)
                groups.setdefault(k, []).append(values[key])
    cols = {c: [] for c in ("model", "task", "group", "augmentation", x, "series", "mean", "ci", "n")}
    for k, values in groups.items():
        mean, half, n = mean_ci(values)
        for c, v in zip(("model", "task", "group", "augmentation", x, "series"), k):
            cols[c].append(v)
        cols["mean"].append(mean)
        cols["ci"].append(half)
        cols["n"].append(n)
    return cols


def invariance_series(families=("shift", "zoom", "rotation", "swap")) -> dict:
    return {f"invariance {FAMILY_NAMES[f]}": ("invariance", "ntk", f) for f in families}


# ---- reading a table back -------------------------------------------------------------------

def curve(t, model: str, task: str, series: str, x: str = "epoch", augmentation: int = 0, group: str | None = None):
    """(x, mean, ci) of one series, sorted by x (empty arrays if the table has none)."""
    rows = (t["model"] == model) & (t["series"] == series) & (t["augmentation"] == augmentation)
    if task is not None:
        rows &= t["task"] == task
    if group is not None:
        rows &= t["group"] == group
    order = np.argsort(t[x][rows])
    return t[x][rows][order], t["mean"][rows][order], t["ci"][rows][order]


def panels(t, models=None, groups=None) -> list[tuple[str, str, str]]:
    """(model, task, group) present in the table, in its order."""
    seen = []
    for m, task, g in zip(t["model"], t["task"], t["group"]):
        if (models is None or m in models) and (groups is None or g in groups) and (m, task, g) not in seen:
            seen.append((m, task, g))
    return seen


def value_at(t, model, task, series, xval, x="epoch", augmentation=0) -> float:
    xs, ys, _ = curve(t, model, task, series, x, augmentation)
    hit = np.flatnonzero(xs == xval)
    return float(ys[hit[0]]) if len(hit) else float("nan")


def claim(text: str, statistic: str, value: float, test) -> Claim:
    return Claim(text, statistic, float(value), check(float(value), test))


# ---- drawing --------------------------------------------------------------------------------

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


# ---- scale line and parameter counts ----------------------------------------------------------

def scale_text(ctx) -> str:
    p = ctx.paper
    dataset = p["dataset"] or ctx.config["dataset"]["name"]
    size = f"{p['train_size']:,} training samples per task" if p["train_size"] else "every training sample of each task"
    _, _, cifar = cifar_setting_parts(ctx)
    return (f"{dataset} ({size}), {len(p['seeds'])} seed(s), checkpoints {', '.join(map(str, p['epochs']))} epochs, "
            f"learning rates {p['lr']['mnist']} (MNIST tasks) and {p['lr']['cifar']} ({cifar}) "
            f"trained to the loss target of recipe {p['lr']['recipe']!r}")


def title_scale(ctx) -> str:
    p = ctx.paper
    size = f"{p['train_size']} training samples per task" if p["train_size"] else "all training samples"
    dataset = p["dataset"] or ctx.config["dataset"]["name"]
    return f"{dataset}, {size}, mean ± sd/√n over seeds"


def parameters(ctx, model: str, dataset: str) -> int:
    """The true parameter count of a model on a dataset's inputs."""
    spec = ctx.plan.model_spec(model)
    return parameter_count(build_model(spec["arch"], ctx.plan.input_shape(dataset), spec["options"]))


def metrics_request(ctx, setting: Setting, recipe: str, seed: int, model: str | None = None) -> Metrics:
    return Metrics(ctx.run(setting.task, model or setting.model, recipe=recipe, seed=seed, dataset=setting.dataset))


def line(ax, t, x, model, task, series, *, augmentation=0, label=None, **style):
    xs, ys, es = curve(t, model, task, series, x, augmentation)
    if len(xs):
        errorbar(ax, xs, ys, es, label=label, **style)


def task_color(tasks: list, task: str) -> str:
    return TASK_COLORS[list(tasks).index(task) % len(TASK_COLORS)]


def tasks_of(t, model=None, group=None) -> list:
    return [task for m, task, g in panels(t) if (model is None or m == model) and (group is None or g == group)]


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


def gaps(t, minuend: str, subtrahend: str, x: str = "epoch", augmentation: int = 0, keys=None):
    """Per (model, task): (x values both series have, series ``minuend`` − series ``subtrahend``)."""
    out = []
    for model, task, _ in keys or panels(t):
        xa, a, _ = curve(t, model, task, minuend, x, augmentation)
        xb, b, _ = curve(t, model, task, subtrahend, x, augmentation)
        out.append(gap(xa, a, xb, b))
    return out


def lr_slopes(t, series: str, keys=None, augmentation: int = 0) -> dict:
    """Per (model, task): least-squares slope of a series against log10(learning rate)."""
    out = {}
    for model, task, _ in keys or panels(t):
        xs, ys, _ = curve(t, model, task, series, "lr", augmentation)
        out[(model, task)] = slope_vs_log(xs, ys)
    return out


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
