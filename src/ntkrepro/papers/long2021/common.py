"""What the figures of Long 2021 share: their schema pieces, the settings (architecture x task), the
requests for a setting's network states (epochs of the Keras-default run, learning rates trained to
a loss target, with or without augmentation), the scale line and parameter counts. Their tables are
built and read back in ``results``, drawn in ``drawing``."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ConfigError
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


def epoch_needs(ctx, group_settings, augmented_too: bool = False, split: str | None = None) -> list:
    """(label, Evaluation) for every setting, seed and checkpoint of the epoch figures; with
    ``augmented_too``, runs with and without augmentation at the same seeds (the same θ0): a matched
    comparison, equal at epoch 0."""
    epochs = figure_epochs(ctx)
    items = []
    for augmented in ([False, True] if augmented_too else [False]):
        recipe = epoch_recipe(ctx, augmented)
        for s in group_settings:
            which = "mega" if s.arch == "mega" else ("augmentation" if augmented_too else None)
            for seed in seeds(ctx, which):
                run = ctx.run(s.task, s.model, recipe=recipe, seed=seed, dataset=s.dataset)
                for e in epochs:
                    items.append((label(s, seed, augmented, epoch=e), evaluation(ctx, s, run, e, split=split)))
    return items


def lr_needs(ctx, group_settings, augmented_too: bool = False, split: str | None = None) -> list:
    """(label, Evaluation) of the final state of every setting, seed and learning rate; with
    ``augmented_too``, runs with and without augmentation at the same seeds (the same θ0)."""
    items = []
    for augmented in ([False, True] if augmented_too else [False]):
        for s in group_settings:
            for seed in seeds(ctx, "augmentation" if augmented_too else "lr"):
                for lr in lrs(ctx, s):
                    run = ctx.run(s.task, s.model, recipe=lr_recipe(ctx, lr, augmented), seed=seed, dataset=s.dataset)
                    # augmented runs: invariances only, on the test samples
                    items.append((label(s, seed, augmented, lr=float(lr)),
                                  evaluation(ctx, s, run, FINAL, split=split or ("test" if augmented else None))))
    return items


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
