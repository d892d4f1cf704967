"""What the items of Samarin et al. 2022 share: width variants of a model, the shifted dataset, the
accuracy-against-width tables of Figures 2-5 with their plot and claims, and the singular spectra of
Figures 6 and 7."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ... import analysis, data, io, models, plotting, tables
from ...claims import Claim, check, untested
from ...errors import ConfigError
from ...figure_stats import gap, over_seeds

MODEL = {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]*$"}
NAME = {"type": ["string", "null"], "default": None}
WIDTHS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "number", "exclusiveMinimum": 0}}
NETWORK_STYLE = {"marker": "o", "ls": "-"}
LINEAR_STYLE = {"marker": "*", "ls": "--", "ms": 7}
REFERENCE_COLOR = "#9a9a9a"
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


# ---- accuracy against width (Figures 2-5) ---------------------------------------------------------

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
    widths, difference = gap(*series(t, role, net, column)[:2], *series(t, role, lin, column)[:2])
    return dict(zip(widths.tolist(), 100 * difference))


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
        out.append(untested(statement, f"gap(×60) / gap(×1); {rule} (needs widths ×1 and ×60)"))
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
        return untested(statement, f"min over widths of gap(this dataset) - gap({reference}) (pp); holds if > 0 "
                                   f"(needs a dataset other than {reference})")
    hard, easy = gaps(t, role, net, lin), gaps(t, "reference", net, lin)
    diffs = [hard[w] - easy[w] for w in hard if w in easy]
    value = min(diffs) if diffs else float("nan")
    return Claim(statement, f"min over widths of gap(this dataset) - gap({reference}) (pp); holds if > 0", value,
                 check(value, lambda v: v > 0))


# ---- singular spectra (Figures 6 and 7) -----------------------------------------------------------


def spectrum_requests(ctx, *, model: str, datasets: list[tuple[str, str]], width_list, key: str = "model") -> list:
    """(labels, Eigenvalues) of the full 10-output NTK J Jᵀ at θ0 of ``jacobian_samples`` training
    samples (class-stratified, drawn per seed), for each (role, dataset) and width."""
    from ...pipeline import Eigenvalues, Kernel

    n = ctx.paper["jacobian_samples"]
    out = []
    for role, dataset in datasets:
        check_samples(ctx, n, dataset)
        for w in width_list:
            name = width_variant(ctx, model, w, key, outputs=classes(ctx, dataset))
            kernel = Kernel(ctx.state(name, dataset=dataset), samples=f"classes-n{n}", split="train", kind="ntk-full")
            outputs = ctx.plan.model_spec(name)["options"].get("outputs", 1)
            out.append(({"role": role, "dataset": dataset, "width": w, "rows": n * outputs}, Eigenvalues(kernel)))
    return out


def spectrum(eigenvalues: np.ndarray, rtol: float, of: str) -> dict:
    """Effective ranks and the singular spectrum of J (``of="jacobian"``: σ(J) = √λ) or of J Jᵀ
    (``of="kernel"``: its singular values λ) from the eigenvalues λ of J Jᵀ. Eigenvalues at most
    rtol·λ_max (and negative ones, rounding) count as zero."""
    lam = np.clip(np.sort(np.asarray(eigenvalues, dtype=np.float64))[::-1], 0.0, None)
    s = analysis.singular_spectrum(lam, rtol=rtol)
    values = s.values if of == "jacobian" else s.values**2
    smallest = float(values[s.rank - 1]) if s.rank else float("nan")
    return {
        "erank_jacobian": analysis.effective_rank(lam, of="singular", rtol=rtol),
        "erank_kernel": analysis.effective_rank(lam, of="eigen", rtol=rtol),
        "values": values,
        "rank": s.rank,
        "smallest_nonzero": smallest,
        "condition_number": float(values[0] / smallest) if s.rank else float("nan"),
    }


def read_eigenvalues(path) -> np.ndarray:
    return io.read_csv(path)["eigenvalue"]


def steps(values: np.ndarray) -> np.ndarray:
    """Ratios of successive values (the change from one width to the next)."""
    values = np.asarray(values, dtype=np.float64)
    return values[1:] / values[:-1]


# ---- scale line -----------------------------------------------------------------------------------


def scale_text(ctx) -> str:
    n_train, n_test = ctx.sizes()
    w = ", ".join(width_label(x) for x in widths(ctx))
    return (f"{ctx.dataset}, {n_train:,} training + {n_test:,} test samples; LeNet widths {w}; "
            f"{len(seeds(ctx))} seed(s); {ctx.recipe().epochs} epochs")
