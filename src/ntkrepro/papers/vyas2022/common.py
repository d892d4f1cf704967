"""What the figures of Vyas et al. 2022 share: the configuration (sizes, seeds, the model in the NTK
parameterization and its width variants, one recipe length per n), the requests (runs on nested
subsets, kernels on the samples of the largest subset, the subsets' task files), kernel regression on
nested subsets of one kernel, and data-scaling exponents with their intervals.

The kernel predictors are kernel regression of the labels (±1, or one-hot for a multi-class task)
with the kernel alone by default, without the network's output at its state as an offset: the
infinite-width NTK's predictor is the mean over initializations, so the empirical kernels are
compared with it on the same footing; ``offset: true`` fits an empirical kernel around the network's
outputs instead (config/README.md, "Vyas et al. 2022")."""

from __future__ import annotations

import math

import numpy as np

from ... import data, io, models, ntk, tasks
from ...errors import ConfigError
from ...figure_stats import loglog_slope
from ...fits import kernel_regression
from ...pipeline import kernel_kinds
from ...pipeline.requests import Kernel, Metrics, Outputs, TaskFile

NTK_ARCHS = ("ntk-mlp", "ntk-cnn")
NETWORK, ENTK, INFINITE = "network", "eNTK θ0", "NTK∞"
METRICS = ("test_error", "test_mse")


# ---- configuration --------------------------------------------------------------------------------


def seeds(ctx) -> list[int]:
    return list(ctx.paper["seeds"])


def sizes(ctx) -> list[int]:
    """The training-set sizes, checked against the dataset's training split."""
    out = sorted(ctx.paper["sizes"])
    n_train, _ = ctx.sizes(dataset(ctx))
    if out[-1] > n_train:
        raise ConfigError(f"config key '{ctx.paper_key}.sizes': {out[-1]} training samples, but {dataset(ctx)} has "
                          f"only {n_train}")
    return out


def dataset(ctx) -> str:
    name = ctx.paper.get("dataset") or ctx.dataset
    if name not in ctx.plan.datasets:
        raise ConfigError(f"config key '{ctx.paper_key}.dataset': dataset {name!r} is not configured (configured: "
                          f"{', '.join(ctx.plan.datasets)})")
    return name


def task(ctx) -> str:
    name = ctx.paper["task"]
    parsed = tasks.parse(name)
    if parsed.subset is not None or parsed.spec.labels is None:
        raise ConfigError(f"config key '{ctx.paper_key}.task': {name!r} must be a dataset-labelled task without a "
                          "subset suffix (cifar2, 3v8, onevsrest0, classes, ...)")
    return name


def binary(ctx) -> bool:
    return tasks.parse(task(ctx)).binary


def subset_task(ctx, n: int) -> str:
    """The task on the first n samples of the seed's permutation (nested across n)."""
    return f"{task(ctx)}-p{n}"


def kernel_kind(ctx) -> str:
    """The empirical kernel: the scalar NTK for one output, the trace NTK for several."""
    return "ntk" if binary(ctx) else "ntk-trace"


def model(ctx, width=None) -> str:
    """The paper's model (with the task's outputs, and ``width`` if given), checked to be NTK-parameterized."""
    base = ctx.paper["model"]
    if base not in ctx.plan.models:
        raise ConfigError(f"config key '{ctx.paper_key}.model': model {base!r} is not defined under models "
                          f"({', '.join(ctx.plan.models)})")
    spec = ctx.plan.model_spec(base)
    if spec["arch"] not in NTK_ARCHS:
        raise ConfigError(f"config key '{ctx.paper_key}.model': model {base!r} has arch {spec['arch']!r}; the "
                          f"infinite-width NTK needs an NTK-parameterized one ({', '.join(NTK_ARCHS)})")
    if spec["init"] != "standard-normal":
        raise ConfigError(f"config key '{ctx.paper_key}.model': model {base!r} has init {spec['init']!r}; an "
                          "NTK-parameterized network draws its weights with init: standard-normal")
    classes = data.num_classes(ctx.plan.dataset_spec(dataset(ctx)))
    outputs = tasks.outputs(task(ctx), classes)
    options = {"outputs": outputs} if outputs != spec["options"].get("outputs", 1) else {}
    if width is not None and width != default_width(ctx):
        options["width"] = width
    return ctx.model_variant(base, **options)


def default_width(ctx) -> int:
    spec = ctx.plan.model_spec(ctx.paper["model"])
    return spec["options"].get("width", models.ARCHITECTURES[spec["arch"]].options["width"]["default"])


def epochs_for(ctx, n: int) -> int:
    """Epochs of a run on n samples: the configured number of SGD steps, whatever n."""
    if ctx.recipe().loss != "mse":
        raise ConfigError(f"config key '{ctx.paper_key}.recipe': recipe {ctx.paper['recipe']!r} trains with loss "
                          f"{ctx.recipe().loss!r}; the networks' test MSE is compared with kernel regression's (mse)")
    batch = ctx.recipe().batch_size
    if batch > n:
        raise ConfigError(f"config key '{ctx.paper_key}.sizes': {n} training samples, fewer than the recipe's batch "
                          f"size {batch}")
    return math.ceil(ctx.paper["steps"] / (n // batch))  # an epoch drops its last incomplete batch


def recipe_for(ctx, n: int) -> str:
    return ctx.recipe_variant(epochs=epochs_for(ctx, n))


# ---- requests -------------------------------------------------------------------------------------


def run(ctx, n: int, seed: int, width=None):
    return ctx.run(subset_task(ctx, n), model(ctx, width), recipe=recipe_for(ctx, n), seed=seed, dataset=dataset(ctx))


def network_requests(ctx, seed_list, size_list, at_width=None, **labels) -> list:
    return [({"predictor": NETWORK, "seed": s, "n": n, **labels}, Metrics(run(ctx, n, s, at_width)))
            for s in seed_list for n in size_list]


def pool(ctx) -> int:
    """The largest size: kernels are computed on its training samples and the test samples."""
    return sizes(ctx)[-1]


def kernel(ctx, state, kind: str, n: int | None = None) -> Kernel:
    """``kind`` kernel of a network state on the training samples of the subset of size ``n`` (default:
    the largest) and every test sample."""
    return Kernel(state, subset_task(ctx, n or pool(ctx)), "all", kind)


def with_offsets(ctx, kernels: list) -> dict:
    """The ``kernels`` inputs, and with ``offset: true`` the ``outputs`` of each empirical kernel's
    state on its samples (the label ``offset`` of a kernel is the position of its outputs there)."""
    if not ctx.paper["offset"]:
        return {"kernels": kernels}
    outputs, out = [], []
    for label, req in kernels:
        if label["kind"] not in kernel_kinds.INFINITE:
            label = {**label, "offset": len(outputs)}
            outputs.append(({"seed": label["seed"]}, Outputs(req.state, req.samples, req.split)))
        out.append((label, req))
    return {"kernels": out, "outputs": outputs}


def init_state(ctx, seed: int, width=None):
    return ctx.state(model(ctx, width), seed=seed, dataset=dataset(ctx))


def init_kernel_requests(ctx, seed_list, at_width=None, **labels) -> list:
    """Per seed, the empirical NTK at θ0 and the infinite-width NTK (on that seed's samples; it depends
    on the architecture alone, and takes seconds for an MLP)."""
    out = []
    for s in seed_list:
        state = init_state(ctx, s, at_width)
        out += [({"predictor": ENTK, "seed": s, "kind": kernel_kind(ctx), **labels},
                 kernel(ctx, state, kernel_kind(ctx))),
                ({"predictor": INFINITE, "seed": s, "kind": "infinite-ntk", **labels}, kernel(ctx, state, "infinite-ntk"))]
    return out


def subset_requests(ctx, seed_list, size_list) -> list:
    """The task files of the subsets (their sample indices and labels), per seed."""
    return [({"seed": s, "n": n}, TaskFile(dataset(ctx), subset_task(ctx, n), model(ctx), s))
            for s in seed_list for n in size_list]


def offset_text(ctx) -> str:
    return ("around the network's outputs at the kernel's state, the infinite NTK without" if ctx.paper["offset"]
            else "no offset")


def params(ctx) -> dict:
    return {"ridges": sorted(ctx.paper["ridges"]), "binary": binary(ctx), "confidence": ctx.paper["confidence"],
            "offset": ctx.paper["offset"]}


# ---- tables ---------------------------------------------------------------------------------------


def subsets_by_seed(items) -> dict[int, dict[int, dict]]:
    """{seed: {n: task file}} from the ``subsets`` inputs."""
    out: dict[int, dict[int, dict]] = {}
    for label, path in items:
        out.setdefault(int(label["seed"]), {})[int(label["n"])] = io.load_torch(path)
    return out


def read_kernel(path, kind: str) -> np.ndarray:
    name, outputs = kernel_kinds.KINDS[kind]
    return ntk.read_gram(path, kernel=name, outputs=outputs)


def predictions_error(pred: np.ndarray, y: np.ndarray, binary_task: bool) -> tuple[float, float]:
    """(test error, test MSE) of predictions against ±1 labels or class indices (MSE on one-hot
    targets, averaged over every entry as the training loss is)."""
    if binary_task:
        y = np.asarray(y, dtype=np.float64)
        return float(np.mean(np.where(pred >= 0, 1.0, -1.0) != y)), float(np.mean((pred - y) ** 2))
    onehot = np.eye(pred.shape[1])[np.asarray(y)]
    return float(np.mean(pred.argmax(1) != np.asarray(y))), float(np.mean((pred - onehot) ** 2))


def regression_curve(K: np.ndarray, subsets: dict[int, dict], ridges, binary_task: bool,
                     size_list=None, offsets: np.ndarray | None = None) -> list[dict]:
    """Test error and MSE of kernel regression on each nested subset, from one kernel ``K`` on the
    largest subset's training samples then the test samples; ``ridges`` relative to the mean diagonal
    of each training block. ``offsets`` (the network's outputs on the same samples, (m,) or (m, C)):
    predictions f(x) + K(x, X)α with (K + ridge·I)α = y − f(X) instead of K(x, X)α with (K + ridge·I)α = y."""
    largest = subsets[max(subsets)]
    pool_idx = largest["train_indices"].numpy()
    n_pool = len(pool_idx)
    if K.shape[0] != n_pool + len(largest["y_test"]):
        raise ConfigError(f"a kernel of {K.shape[0]} samples for {n_pool} training + {len(largest['y_test'])} test "
                          "samples")
    test = np.arange(n_pool, K.shape[0])
    y_test = largest["y_test"].numpy()
    rows = []
    for n in sorted(size_list or subsets):
        sub = subsets[n]
        where = np.searchsorted(pool_idx, sub["train_indices"].numpy())
        if not np.array_equal(pool_idx[np.minimum(where, n_pool - 1)], sub["train_indices"].numpy()):
            raise ConfigError(f"the subset of {n} samples is not inside the largest subset: not nested")
        y = sub["y_train"].numpy()
        targets = y.astype(np.float64) if binary_task else np.eye(int(largest["outputs"]))[y]
        f_train, f_test = (0.0, 0.0) if offsets is None else (offsets[where], offsets[test])
        block = K[np.ix_(where, where)]
        scale = float(np.mean(np.diag(block)))
        for r in ridges:
            fit = kernel_regression(block, targets - f_train, K[np.ix_(test, where)], ridge=r * scale)
            error, mse = predictions_error(fit.test_predictions + f_test, y_test, binary_task)
            rows.append({"n": n, "ridge": r, "test_error": error, "test_mse": mse})
    return rows


def network_rows(items) -> list[dict]:
    """One row per run: its labels (predictor, seed, n, ...) and its final test error and MSE."""
    return [{**label, **network_row(path)} for label, path in items]


def offsets_of(label: dict, inputs: dict) -> np.ndarray | None:
    """The network's outputs that a kernel's predictor is fitted around (None: no offset)."""
    if "offset" not in label:
        return None
    f = io.load_torch(inputs["outputs"][int(label["offset"])][1])["outputs"].numpy()
    return f.reshape(-1) if f.ndim == 2 and f.shape[1] == 1 else f


def kernel_rows(inputs: dict, subsets: dict, params: dict, size_list=None) -> list[dict]:
    """Rows of kernel regression on the nested subsets of the kernel's seed, one kernel per item of
    ``inputs["kernels"]`` (labels: predictor, seed, kind and any others, which the rows keep but kind
    and offset)."""
    rows = []
    for label, path in inputs["kernels"]:
        K = read_kernel(path, label["kind"])
        keep = {k: v for k, v in label.items() if k not in ("kind", "offset")}
        for r in regression_curve(K, subsets[int(label["seed"])], params["ridges"], params["binary"], size_list,
                                  offsets_of(label, inputs)):
            rows.append({**keep, **r})
    return rows


def network_row(path) -> dict:
    """Test error and MSE of a run at its end (its recipe's loss must be MSE for the second)."""
    last = {k: v[-1] for k, v in io.read_csv(path).items()}
    return {"ridge": float("nan"), "test_error": 1.0 - float(last["test_accuracy"]), "test_mse": float(last["test_loss"])}


def exponent(n, values, seed, confidence: float) -> tuple[float, float, float]:
    """(α, low, high) of values ∝ n^-α: the log-log least-squares slope per seed, negated, and the
    Student-t interval of its mean over seeds (NaN with one seed)."""
    s = loglog_slope(n, values, seed, confidence)
    return -s.estimate, -s.high, -s.low


def with_exponents(rows: list[dict], keys: tuple[str, ...], confidence: float) -> dict:
    """Columns of ``rows``, with the exponent of each metric (and its interval) of each group of rows
    sharing ``keys``, repeated on every row of the group."""
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    group = [tuple(_key(r[k]) for k in keys) for r in rows]
    for metric in METRICS:
        found = {}
        for g in dict.fromkeys(group):
            at = [i for i, h in enumerate(group) if h == g]
            found[g] = exponent([rows[i]["n"] for i in at], [rows[i][metric] for i in at],
                                [rows[i]["seed"] for i in at], confidence)
        for j, suffix in enumerate(("", "_low", "_high")):
            columns[f"alpha_{metric.removeprefix('test_')}{suffix}"] = [found[g][j] for g in group]
    return columns


def _key(value):
    return "nan" if isinstance(value, float) and math.isnan(value) else value


def predictor_label(predictor: str, ridge) -> str:
    if predictor == NETWORK or (isinstance(ridge, float) and math.isnan(ridge)):
        return predictor
    return f"{predictor}, " + ("ridgeless" if ridge == 0 else f"ridge {ridge:g}")


def exponents(t: dict, metric: str = "error", **where) -> dict:
    """{(predictor, ridge) of the rows matching ``where``: (α, low, high)}, from a table with exponents."""
    rows = np.ones(len(t["n"]), dtype=bool)
    for k, v in where.items():
        rows &= t[k] == v
    out = {}
    for i in np.flatnonzero(rows):
        key = (str(t["predictor"][i]), _key(float(t["ridge"][i])))
        out.setdefault(key, tuple(float(t[f"alpha_{metric}{s}"][i]) for s in ("", "_low", "_high")))
    return out


# ---- scale line -----------------------------------------------------------------------------------


def scale_text(ctx) -> str:
    size_list = sizes(ctx)
    spec = ctx.plan.model_spec(ctx.paper["model"])
    _, n_test = ctx.sizes(dataset(ctx))
    return (f"{dataset(ctx)}, task {task(ctx)}, n = {size_list[0]:,} … {size_list[-1]:,} (nested) + {n_test:,} test "
            f"samples; {spec['arch']} width {default_width(ctx)}; {len(seeds(ctx))} seed(s); {ctx.paper['steps']:,} "
            "SGD steps per run")
