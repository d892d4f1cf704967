"""What the items of Samarin et al. 2022 share: their schema pieces, width variants of a model, the
shifted dataset, the scale line. Figures 2-5 are built in ``accuracy``, Figures 6 and 7 in
``jacobian_spectra``, Tables 1 and 2 in ``binary``."""

from __future__ import annotations

import numpy as np

from ... import data, models
from ...errors import ConfigError

MODEL = {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]*$"}
NAME = {"type": ["string", "null"], "default": None}
WIDTHS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "number", "exclusiveMinimum": 0}}
# widths the paper reports, and the float the float32 kernel's eigenvalues are rounded to
PAPER_WIDTHS = (1, 2, 5, 10, 25, 60)


# ---- configuration --------------------------------------------------------------------------------


def widths(ctx) -> list:
    return sorted(ctx.paper["widths"])


def seeds(ctx) -> list[int]:
    return list(ctx.paper["seeds"])


def width_variant(ctx, model: str, width, key: str = "model", *, outputs: int | None = None) -> str:
    """The name of ``model`` at width factor ``width``, with ``outputs`` outputs where that differs from
    the model's (one for the binary tables; the class count of a dataset with other than ten); ``key``
    is the paper's config key that named the model, for the error message."""
    if model not in ctx.plan.models:
        raise ConfigError(f"config key '{ctx.paper_key}.{key}': model {model!r} is not defined under models "
                          f"({', '.join(ctx.plan.models)})")
    spec = ctx.plan.model_spec(model)
    if "width_factor" not in models.ARCHITECTURES[spec["arch"]].options:
        raise ConfigError(f"config key '{ctx.paper_key}.{key}': model {model!r} (arch {spec['arch']}) has no "
                          f"width_factor option; use an architecture that takes one (lenet5, alexnet)")
    options = {"outputs": outputs} if outputs is not None and outputs != spec["options"].get("outputs", 1) else {}
    return ctx.model_variant(model, width_factor=width, **options)


def classes(ctx, dataset: str) -> int:
    """The class count of a configured dataset: the outputs of the models trained on its classes."""
    check_dataset(ctx, dataset, "dataset")
    return data.num_classes(ctx.plan.dataset_spec(dataset))


def shifted(ctx, dataset: str | None = None) -> str:
    """The shifted copy of ``dataset`` (default: the paper's): every image moved once by a random
    whole number of pixels up to ``shift.pixels`` in each direction, on the ``shift.splits`` splits."""
    base = dataset or ctx.dataset
    check_dataset(ctx, base, "dataset")
    s = ctx.paper["shift"]
    name = f"{base}-shift{s['pixels']}" + ("" if s["splits"] == "both" else s["splits"]) + (f"-{s['seed']}" if s["seed"] else "")
    return ctx.dataset_variant(name, {**ctx.plan.dataset_spec(base), "shift": dict(s)})


def shift_text(ctx) -> str:
    s = ctx.paper["shift"]
    which = {"both": "training and test", "train": "training", "test": "test"}[s["splits"]]
    return f"{which} digits shifted by up to {s['pixels']} px"


def check_dataset(ctx, dataset: str, key: str) -> None:
    if dataset not in ctx.plan.datasets:
        raise ConfigError(f"config key '{ctx.paper_key}.{key}': dataset {dataset!r} is not configured (name it under datasets:; "
                          f"configured: {', '.join(ctx.plan.datasets)})")


def check_samples(ctx, n: int, dataset: str) -> None:
    n_train, _ = ctx.sizes(dataset)
    if n > n_train:
        raise ConfigError(f"config key '{ctx.paper_key}.jacobian_samples': {n} samples, but {dataset} has only "
                          f"{n_train} training samples")


def zero_rtol(ctx) -> float:
    """Eigenvalues of a kernel below rtol·λ_max count as zero: the machine epsilon of the kernel's
    precision unless set (the float32 kernel's eigenvalues are accurate far below it)."""
    value = ctx.paper["zero_rtol"]
    return float(value) if value is not None else float(np.finfo(ctx.config["kernel"]["dtype"]).eps)


def width_label(w) -> str:
    return f"×{float(w):g}"


# ---- scale line -----------------------------------------------------------------------------------


def scale_text(ctx) -> str:
    n_train, n_test = ctx.sizes()
    w = ", ".join(width_label(x) for x in widths(ctx))
    return (f"{ctx.dataset}, {n_train:,} training + {n_test:,} test samples; LeNet widths {w}; "
            f"{len(seeds(ctx))} seed(s); {ctx.recipe().epochs} epochs")
