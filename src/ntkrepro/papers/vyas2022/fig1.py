"""Figure 1: data scaling at initialization. Test error (and test MSE) against the number of training
samples n, log-log, on nested subsets, for the network trained on n, kernel regression with its
empirical NTK at θ0 and with the infinite-width NTK; the fitted exponents α (error ∝ n^-α) with their
intervals over seeds in the legend and the CSV."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ...claims import Claim, check
from ...figure_stats import over_seeds
from ...pipeline import Needs
from . import common
from .common import ENTK, INFINITE, NETWORK

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {}}
KEYS = ("predictor", "ridge")


def needs(ctx) -> Needs:
    seed_list, size_list = common.seeds(ctx), common.sizes(ctx)
    return Needs(
        {
            "networks": common.network_requests(ctx, seed_list, size_list),
            **common.with_offsets(ctx, common.init_kernel_requests(ctx, seed_list)),
            "subsets": common.subset_requests(ctx, seed_list, size_list),
        },
        common.params(ctx),
    )


def title(ctx) -> str:
    return (f"Data scaling at θ0: the network, its eNTK at θ0 and the infinite NTK on {common.dataset(ctx)} "
            f"({common.task(ctx)}), {len(common.seeds(ctx))} seed(s)")


def caption(ctx) -> str:
    size_list = common.sizes(ctx)
    return (
        f"**Figure 1.** Test error and test MSE against the number of training samples n ({', '.join(map(str, size_list))}; "
        f"nested subsets, one permutation per seed) on {common.dataset(ctx)}, task {common.task(ctx)}: the network "
        f"({common.scale_text(ctx)}) trained on n; kernel regression of the labels ({common.offset_text(ctx)}) with its empirical "
        f"NTK at θ0 and with the infinite-width NTK, ridges {', '.join(f'{r:g}' for r in sorted(ctx.paper['ridges']))} "
        "× the mean diagonal. Lines: means over seeds; legend: the exponent α of error ∝ n^-α (log-log least "
        f"squares per seed, mean and {ctx.paper['confidence']:.0%} Student-t interval over seeds). The paper's claim: "
        "both kernels have worse (smaller) exponents than the network. Scorecard: Figure 1 lines."
    )


def table(inputs, params) -> dict:
    subsets = common.subsets_by_seed(inputs["subsets"])
    rows = common.network_rows(inputs["networks"]) + common.kernel_rows(inputs, subsets, params)
    return common.with_exponents(rows, KEYS, params["confidence"])


STYLE = {NETWORK: ("#1f77b4", "o-"), ENTK: ("#ff7f0e", "s--"), INFINITE: ("#2ca02c", "^:")}
OTHER_COLORS = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def plot_curves(ax, t, metric: str, rows=None) -> None:
    """Mean over seeds of ``metric`` against n for each (predictor, ridge) of ``rows``, log-log, with
    the exponent and its interval in the label."""
    rows = np.ones(len(t["n"]), dtype=bool) if rows is None else rows
    ridges = sorted({float(r) for r in t["ridge"][rows] if np.isfinite(r)})
    alpha = "alpha_" + metric.removeprefix("test_")
    groups = dict.fromkeys(zip(t["predictor"][rows].tolist(), [common._key(float(r)) for r in t["ridge"][rows]]))
    others = [p for p in dict.fromkeys(t["predictor"][rows].tolist()) if p not in STYLE]
    for predictor, ridge in groups:
        r = rows & (t["predictor"] == predictor) & (np.isnan(t["ridge"]) if ridge == "nan" else t["ridge"] == ridge)
        n, mean, sd = over_seeds(t["n"][r], t[metric][r])
        color, style = STYLE.get(predictor) or (OTHER_COLORS[others.index(predictor) % len(OTHER_COLORS)], "d-.")
        if ridge != "nan" and len(ridges) > 1 and ridge != ridges[0]:
            style, color = style[0] + "-", _lighter(color)
        i = np.flatnonzero(r)[0]
        a, lo, hi = t[alpha][i], t[alpha + "_low"][i], t[alpha + "_high"][i]
        name = common.predictor_label(predictor, ridge if ridge != "nan" else float("nan"))
        label = f"{name}: α = {a:.2f} [{lo:.2f}, {hi:.2f}]"
        ax.errorbar(n, mean, yerr=sd, fmt=style, color=color, ms=4, lw=1, capsize=2, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sorted(set(t["n"][rows].tolist())))
    plotting.plain_log_axis(ax.xaxis)
    ax.set_xlabel("training samples n")
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend(fontsize=6, frameon=False)


def _lighter(color: str) -> str:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return "#" + "".join(f"{int(v):02x}" for v in rgb + (255 - rgb) * 0.5)


@plotting.styled
def plot(table, title):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, metric in zip(axes, common.METRICS):
        plot_curves(ax, table, metric)
    fig.suptitle(title)
    return fig


def exceeds_claims(t, predictor: str, statement: str, metric: str = "error", **where) -> list[Claim]:
    """For each ridge: the network's exponent exceeds ``predictor``'s by more than the intervals."""
    found = common.exponents(t, metric, **where)
    net = found.get((NETWORK, "nan"))
    out = []
    for (name, ridge), (_, low, high) in found.items():
        if name != predictor:
            continue
        value = net[1] - high if net else float("nan")
        out.append(Claim(f"{statement} ({common.predictor_label(predictor, ridge)}, test {metric})",
                         f"low end of the network's α interval − high end of the kernel's; holds if > 0",
                         value, check(value, lambda v: v > 0)))
    return out


def claims(t) -> list[Claim]:
    out = []
    for metric in ("error", "mse"):
        out += exceeds_claims(t, ENTK, "The network's data-scaling exponent exceeds its eNTK at θ0's", metric)
        out += exceeds_claims(t, INFINITE, "The network's data-scaling exponent exceeds the infinite NTK's", metric)
    return out
