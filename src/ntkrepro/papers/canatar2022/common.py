"""What the items of Canatar & Pehlevan 2022 share: the grid of runs declared once in the config, the
run-selection rule, and the per-model, per-layer measures every figure reads (CKA of each layer's
kernel with the target and with the input kernel, on the fixed training and test samples)."""

from __future__ import annotations

import numpy as np

from ... import analysis, io
from ...errors import ConfigError
from ...pipeline import grid
from ...pipeline.requests import LayerKernels, Metrics, State
from ...pipeline import Needs
from ...ntk import probes

AXES = ("skip", "augmentation", "batch_size", "optimizer", "lr")
SCHEMA = {
    "enabled": {"type": "boolean", "default": True},
    # the dataset the grid trains on (null: the configured dataset)
    "dataset": {"type": ["string", "null"], "default": None},
    "seed": {"type": "integer", "minimum": 0},
    "model": {"type": "string", "default": "rescnn11"},
    "recipe": {"type": "string", "default": "canatar2022"},
    "grid": {
        "type": "object", "additionalProperties": False, "required": list(AXES),
        "properties": {
            "skip": {"type": "array", "minItems": 1, "items": {"type": "boolean"}},
            "augmentation": {"type": "array", "minItems": 1, "items": {"type": "boolean"}},
            "batch_size": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1}},
            "optimizer": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["sgd", "momentum"]}},
            "lr": {"type": "array", "minItems": 1, "items": {"type": "number", "exclusiveMinimum": 0}},
        },
    },
    "momentum": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.9},
    "shift_pixels": {"type": "number", "exclusiveMinimum": 0, "default": 2},
    "train_accuracy_threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.95},
    "layers": {"type": "array", "minItems": 2, "uniqueItems": True, "items": {"type": "string", "minLength": 1}},
    "pooling": {"type": "string", "enum": list(probes.POOLINGS), "default": "max"},
    # the runs train on a class-stratified subset of this many training samples (null: all of them)
    "train_samples": {"type": ["integer", "null"], "minimum": 10, "default": None},
    # the kernels' training samples: a class-stratified subset of the training split (null: the runs'
    # own training samples); always every test sample
    "kernel_train_samples": {"type": ["integer", "null"], "minimum": 2, "default": None},
}


def configs(ctx) -> list[dict]:
    """The grid's configurations, from its one declaration (``grid``: the axes' values)."""
    return grid.expand(ctx.paper["grid"], f"{ctx.paper_key}.grid")


def config_name(c: dict) -> str:
    return (f"{'skip' if c['skip'] else 'noskip'}-{'aug' if c['augmentation'] else 'noaug'}-b{c['batch_size']}-"
            f"{c['optimizer']}-lr{c['lr']:g}")


def run_of(ctx, c: dict):
    """The run of one configuration: the model with its skip switch, the recipe with the rest."""
    model = ctx.paper["model"]
    if model not in ctx.plan.models:
        raise ConfigError(f"config key '{ctx.paper_key}.model': model {model!r} is not defined under models "
                          f"({', '.join(ctx.plan.models)})")
    if ctx.plan.model_spec(model)["arch"] != "rescnn11":
        raise ConfigError(f"config key '{ctx.paper_key}.model': model {model!r} is not a rescnn11 (its skip "
                          "switch is a grid axis)")
    variant = ctx.model_variant(model, skip=c["skip"])
    recipe = ctx.recipe_variant(
        batch_size=c["batch_size"], lr=c["lr"], momentum=ctx.paper["momentum"] if c["optimizer"] == "momentum" else 0.0,
        augmentation="shift-rotate" if c["augmentation"] else "none",
        **({"rotation_degrees": 0.0, "shift_pixels": ctx.paper["shift_pixels"]} if c["augmentation"] else {}))
    return ctx.run(train_task(ctx), variant, recipe=recipe)


def _subset(ctx, key: str) -> str:
    n_train, _ = ctx.sizes()
    n = ctx.paper[key]
    if n is not None and n > n_train:
        raise ConfigError(f"config key '{ctx.paper_key}.{key}': {n}, but {ctx.dataset} has only {n_train} training "
                          "samples")
    return "classes" if n is None or n == n_train else ctx.origin(f"classes-n{n}", key)


def train_task(ctx) -> str:
    """The runs' task: the dataset's classes, on a class-stratified training subset if configured."""
    return _subset(ctx, "train_samples")


def samples_task(ctx) -> str:
    """The task whose samples the layer kernels are on (its training samples, then every test sample)."""
    if ctx.paper["kernel_train_samples"] is None:
        return train_task(ctx)
    if ctx.paper["train_samples"] is not None:
        raise ConfigError(f"config key '{ctx.paper_key}.kernel_train_samples': with train_samples set, the kernels are "
                          "on the runs' own training samples (set it to null)")
    return _subset(ctx, "kernel_train_samples")


def sizes(ctx) -> tuple[int, int, int]:
    """(training samples of a run, training samples of a kernel, test samples)."""
    n_train, n_test = ctx.sizes()
    runs = ctx.paper["train_samples"] or n_train
    return runs, ctx.paper["kernel_train_samples"] or runs, n_test


def grid_needs(ctx, epochs=("final",)) -> Needs:
    """Every configuration's metrics and its layer kernels at ``epochs`` (one file of the training
    samples, one of the test samples: the blocks CKA reads), with the measures' parameters."""
    metrics, kernels = [], []
    for c in configs(ctx):
        run = run_of(ctx, c)
        label = {**c, "config": config_name(c)}
        metrics.append((label, Metrics(run)))
        for e in epochs:
            state = State(run.dataset, run.model, run.seed, run, e)
            for split in ("train", "test"):
                kernels.append(({**label, "epoch": e, "split": split},
                                LayerKernels(state, tuple(ctx.paper["layers"]), ctx.paper["pooling"],
                                             samples_task(ctx), split)))
    return Needs({"metrics": metrics, "kernels": kernels},
                 {"threshold": ctx.paper["train_accuracy_threshold"], "layers": list(ctx.paper["layers"])})


# ---- selection and measures -----------------------------------------------------------------------


def select(train_accuracy, threshold: float) -> np.ndarray:
    """The runs kept: final training accuracy strictly above ``threshold`` (the paper: > 95%)."""
    acc = np.asarray(train_accuracy, dtype=float)
    return np.isfinite(acc) & (acc > threshold)


def final_row(path: str) -> dict:
    t = io.read_csv(path)
    return {k: v[-1] for k, v in t.items()}


def layer_measures(train: str, test: str, layers: list[str]) -> dict:
    """CKA of each layer's kernel with the target kernel (the training file, the test file) and with
    the input kernel (the training file), float64 from the files' kernels."""
    out = {"cka_train": [], "cka_test": [], "cka_input": []}
    onehot = {}
    for key, path in (("train", train), ("test", test)):
        labels = probes.read_layer_arrays(path)[0]["labels"]
        onehot[key] = np.eye(int(labels.max()) + 1)[labels]
    classes = max(y.shape[1] for y in onehot.values())
    onehot = {k: np.pad(y, ((0, 0), (0, classes - y.shape[1]))) for k, y in onehot.items()}
    kx = probes.read_layer_kernels(train, probes.INPUT)
    for name in layers:
        k = probes.read_layer_kernels(train, f"module:{name}")
        out["cka_train"].append(cka(k, onehot["train"]))
        out["cka_input"].append(cka(k, kx))
        out["cka_test"].append(cka(probes.read_layer_kernels(test, f"module:{name}"), onehot["test"]))
    return out


def cka(k, other) -> float:
    """CKA, NaN for a kernel that is constant after centring (a layer whose pooled features are all
    equal, e.g. every unit dead): it aligns with nothing."""
    if not np.any(analysis.centre(k)):
        return float("nan")
    return analysis.cka(k, other)


def grid_table(inputs, params) -> dict:
    """One row per (configuration, layer): the configuration, its final accuracies, whether it is kept,
    and the layer's CKA with the target (train, test) and with the input."""
    layers = params["layers"]
    final = {lab["config"]: final_row(path) for lab, path in inputs["metrics"]}
    cols = {k: [] for k in ("config", *AXES, "train_loss", "test_loss", "train_accuracy", "test_accuracy", "kept",
                            "layer", "module", "cka_train", "cka_test", "cka_input")}
    files: dict[str, dict] = {}
    for lab, path in inputs["kernels"]:
        files.setdefault(lab["config"], {"label": lab})[lab["split"]] = path
    for name, entry in files.items():
        lab, f = entry["label"], final[name]
        m = layer_measures(entry["train"], entry["test"], layers)
        kept = bool(select([f["train_accuracy"]], params["threshold"])[0])
        for i, name in enumerate(layers):
            for a in AXES:
                cols[a].append(int(lab[a]) if isinstance(lab[a], bool) else lab[a])
            cols["train_loss"].append(f["train_loss"])
            cols["test_loss"].append(f["test_loss"])
            cols["config"].append(lab["config"])
            cols["train_accuracy"].append(f["train_accuracy"])
            cols["test_accuracy"].append(f["test_accuracy"])
            cols["kept"].append(int(kept))
            cols["layer"].append(i + 1)
            cols["module"].append(name)
            for key in ("cka_train", "cka_test", "cka_input"):
                cols[key].append(m[key][i])
    return cols


def models(t: dict, kept_only: bool = True) -> dict:
    """Per model (config): its axes, accuracies and per-layer CKA arrays, ordered by test accuracy."""
    out: dict[str, dict] = {}
    for i, name in enumerate(t["config"]):
        if kept_only and not _bool(t["kept"][i]):
            continue
        m = out.setdefault(name, {**{a: t[a][i] for a in AXES}, "train_loss": float(t["train_loss"][i]),
                                  "test_loss": float(t["test_loss"][i]), "train_accuracy": float(t["train_accuracy"][i]),
                                  "test_accuracy": float(t["test_accuracy"][i]),
                                  "cka_train": [], "cka_test": [], "cka_input": []})
        for key in ("cka_train", "cka_test", "cka_input"):
            m[key].append(float(t[key][i]))
    return dict(sorted(out.items(), key=lambda kv: kv[1]["test_accuracy"]))


def _bool(v) -> bool:
    """A flag as a table holds it: a bool, 0/1, or 0.0/1.0 as a CSV reads back."""
    try:
        return float(v) != 0
    except (TypeError, ValueError):
        return str(v).lower() == "true"


def counts(t: dict) -> tuple[int, int]:
    """(kept, total) models of a grid table."""
    return len(models(t)), len(models(t, kept_only=False))


def scale_text(ctx) -> str:
    runs, kernels, n_test = sizes(ctx)
    w = ctx.plan.model_spec(ctx.paper["model"])["options"].get("conv_widths")
    return (f"{ctx.dataset}, {runs:,} training + {n_test:,} test samples; {len(configs(ctx))} configurations; "
            f"rescnn11 widths {w}; {ctx.recipe().epochs} epochs; kernels on {kernels:,} training + {n_test:,} test "
            "samples")


def pearson(a, b) -> float:
    """Pearson's r of two sequences; NaN when either is constant or has fewer than 3 entries."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def heading_note(t) -> str:
    kept, total = counts(t)
    return f"{kept} of {total} models kept (training accuracy above the threshold)"
