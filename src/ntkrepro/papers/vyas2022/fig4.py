"""Figure 4 (our number): kernel evolution. The empirical NTK at checkpoints through the training of
the network on n samples: the test error of kernel regression with it against the epoch, the kernel
distance 1 − KTA to the final kernel and between consecutive checkpoints; beside it, the network's
learning curve against kernel regression with its final eNTK on the nested subsets of those n."""

import matplotlib.pyplot as plt
import numpy as np

from ... import analysis, plotting
from ...claims import Claim, check
from ...errors import ConfigError
from ...figure_stats import mean_finite, over_seeds
from ...pipeline import Needs
from ...pipeline.requests import State
from . import common
from .common import NETWORK
from .fig1 import plot_curves

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        # the training-set size of the runs whose kernels are followed (one of the paper's sizes)
        "n": {"type": "integer", "minimum": 1, "default": 1000},
        # checkpoints: epoch 0, then this many epochs spaced evenly in log(epoch) up to the last
        "checkpoints": {"type": "integer", "minimum": 2, "default": 8},
    },
}
FINAL = "eNTK final"
EVOLUTION, CURVE = "evolution", "learning curve"
# "keeps changing through most of training": more than this share of the kernel's whole change
# (1 − KTA(K_0, K_T)) is still ahead of it at the checkpoint nearest half of training
STILL_AHEAD = 0.1


def size(ctx) -> int:
    n = ctx.section.get("n") or SCHEMA["properties"]["n"]["default"]
    if n not in common.sizes(ctx):
        raise ConfigError(f"config key '{ctx.paper_key}.fig4.n': {n} is not one of {ctx.paper_key}.sizes "
                          f"({', '.join(map(str, common.sizes(ctx)))})")
    return n


def epochs(ctx) -> list[int]:
    last = common.epochs_for(ctx, size(ctx))
    count = ctx.section.get("checkpoints") or SCHEMA["properties"]["checkpoints"]["default"]
    spaced = np.unique(np.round(np.geomspace(1, last, min(count, last))).astype(int))
    return [0] + [int(e) for e in spaced]


def needs(ctx) -> Needs:
    n, seed_list = size(ctx), common.seeds(ctx)
    kind = common.kernel_kind(ctx)
    kernels = []
    for s in seed_list:
        r = common.run(ctx, n, s)
        for e in epochs(ctx):
            kernels.append(({"seed": s, "epoch": e, "kind": kind},
                            common.kernel(ctx, State(r.dataset, r.model, r.seed, r, e), kind, n)))
    below = [m for m in common.sizes(ctx) if m <= n]
    return Needs({"networks": common.network_requests(ctx, seed_list, below), **common.with_offsets(ctx, kernels),
                  "subsets": common.subset_requests(ctx, seed_list, below)}, common.params(ctx))


def title(ctx) -> str:
    return (f"Kernel evolution: the eNTK through the training on n = {size(ctx):,} samples of "
            f"{common.dataset(ctx)} ({common.task(ctx)}), {len(common.seeds(ctx))} seed(s)")


def caption(ctx) -> str:
    return (
        f"**Figure 4** (our number). The empirical NTK at epochs {', '.join(map(str, epochs(ctx)))} of the network "
        f"trained on n = {size(ctx):,} samples ({ctx.paper['steps']:,} steps). Left: test error of kernel regression "
        f"({common.offset_text(ctx)}) with the eNTK of each epoch on those n samples. Middle: 1 − KTA(K_t, K_T) to the final kernel "
        "and 1 − KTA(K_t, K_prev) between consecutive checkpoints (on the training and test samples). Right: the "
        "network's learning curve on the nested subsets up to n against kernel regression with its final eNTK. "
        "Means over seeds. The paper's claims: the eNTK keeps changing through most of training (against Fort et "
        "al. 2020); cited for: the final eNTK reproduces the network's learning curve. Scorecard: Figure 4 lines."
    )


def table(inputs, params) -> dict:
    subsets = common.subsets_by_seed(inputs["subsets"])
    n = max(max(by_n) for by_n in subsets.values())
    columns = ("part", "predictor", "seed", "epoch", "n", "ridge", "test_error", "test_mse", "distance_final",
               "distance_previous")
    rows = []
    by_seed: dict[int, list] = {}
    for label, path in inputs["kernels"]:
        by_seed.setdefault(int(label["seed"]), []).append((int(label["epoch"]), label, path))
    for seed, items in by_seed.items():
        items.sort(key=lambda item: item[0])
        kernels = [common.read_kernel(path, label["kind"]) for _, label, path in items]
        offsets = [common.offsets_of(label, inputs) for _, label, _ in items]
        last = kernels[-1]
        for i, (epoch, _, _) in enumerate(items):
            d_final = analysis.kernel_distance(kernels[i], last)
            d_prev = analysis.kernel_distance(kernels[i], kernels[i - 1]) if i else float("nan")
            for r in common.regression_curve(kernels[i], subsets[seed], params["ridges"], params["binary"], [n],
                                             offsets[i]):
                rows.append({"part": EVOLUTION, "predictor": f"eNTK epoch {epoch}", "seed": seed, "epoch": epoch, **r,
                             "distance_final": d_final, "distance_previous": d_prev})
        for r in common.regression_curve(last, subsets[seed], params["ridges"], params["binary"], None, offsets[-1]):
            rows.append({"part": CURVE, "predictor": FINAL, "seed": seed, "epoch": items[-1][0], **r,
                         "distance_final": float("nan"), "distance_previous": float("nan")})
    for r in common.network_rows(inputs["networks"]):
        rows.append({"part": CURVE, "epoch": float("nan"), **r, "distance_final": float("nan"),
                     "distance_previous": float("nan")})
    rows = [{k: r[k] for k in columns} for r in rows]
    return common.with_exponents(rows, ("part", "predictor", "ridge"), params["confidence"])


def ridges(t) -> list[float]:
    return sorted({float(r) for r in t["ridge"] if np.isfinite(r)})


@plotting.styled
def plot(table, title):
    t = table
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 3.6))
    evo = t["part"] == EVOLUTION
    for ridge in ridges(t):
        r = evo & (t["ridge"] == ridge) & (t["epoch"] > 0)
        e, mean, sd = over_seeds(t["epoch"][r], t["test_error"][r])
        left.errorbar(e, mean, yerr=sd, fmt="o-", ms=4, capsize=2, label=common.predictor_label("eNTK epoch t", ridge))
        start = evo & (t["ridge"] == ridge) & (t["epoch"] == 0)
        if start.any():
            left.axhline(mean_finite(t["test_error"][start]), ls=":", color="#7f7f7f", lw=1)
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("epoch t (dotted: θ0)")
    left.set_ylabel("test error of kernel regression")
    left.legend(fontsize=6, frameon=False)
    first = evo & (t["ridge"] == ridges(t)[0]) & (t["epoch"] > 0)
    for column, style, label in (("distance_final", "s-", "1 − KTA(K_t, K_T)"),
                                 ("distance_previous", "d--", "1 − KTA(K_t, K_prev)")):
        e, mean, _ = over_seeds(t["epoch"][first], t[column][first])
        ok = mean > 0
        middle.plot(e[ok], mean[ok], style, ms=4, label=label)
    middle.set_xscale("log")
    middle.set_yscale("log")
    middle.set_xlabel("epoch t")
    middle.set_ylabel("kernel distance")
    middle.legend(fontsize=6, frameon=False)
    curve = (t["part"] == CURVE) & (np.isnan(t["ridge"]) | (t["ridge"] == ridges(t)[0]))
    plot_curves(right, t, "test_error", curve)
    fig.suptitle(title)
    return fig


def _midpoint(t, rows) -> tuple[float, float]:
    """(the checkpoint nearest half of the last epoch, the last epoch) among ``rows``."""
    e = np.unique(t["epoch"][rows])
    last = float(e.max())
    return float(e[np.argmin(np.abs(e - last / 2))]), last


def claims(t) -> list[Claim]:
    out = []
    ridge = ridges(t)[0]
    evo = (t["part"] == EVOLUTION) & (t["ridge"] == ridge)
    mid, last = _midpoint(t, evo)
    at = lambda epoch, column: mean_finite(t[column][evo & (t["epoch"] == epoch)])  # noqa: E731
    value = at(mid, "distance_final") / at(0, "distance_final")
    out.append(Claim("The eNTK keeps changing through most of training (not only in the first epochs, as Fort et "
                     "al. 2020 report).",
                     f"(1 − KTA(K_mid, K_T)) / (1 − KTA(K_0, K_T)), mid = epoch {mid:g} of {last:g} (means over "
                     f"seeds): the share of the kernel's change still ahead at half of training; holds if > "
                     f"{STILL_AHEAD}", value, check(value, lambda v: v > STILL_AHEAD)))
    value = at(last, "test_error") / at(mid, "test_error")
    out.append(Claim("Kernel regression with the eNTK of epoch t keeps improving through training.",
                     f"test error with K_T / test error with K_mid ({common.predictor_label('eNTK', ridge)}, n fixed, "
                     "means over seeds); holds if < 1", value, check(value, lambda v: v < 1)))
    found = common.exponents(t, "error", part=CURVE)
    net, final = found.get((NETWORK, "nan")), found.get((FINAL, ridge))
    value = max(net[1], final[1]) - min(net[2], final[2]) if net and final else float("nan")
    out.append(Claim("The final eNTK reproduces the network's learning curve (Atanasov et al. 2023, citing the paper).",
                     "gap between the α intervals of the network and of the final eNTK "
                     f"({common.predictor_label(FINAL, ridge)}; max of lows − min of highs, ≤ 0 when they overlap); "
                     "holds if ≤ 0", value, check(value, lambda v: v <= 0)))
    return out
