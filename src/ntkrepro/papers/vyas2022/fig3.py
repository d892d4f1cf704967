"""Figure 3 (our number): the pre-trained kernel. The empirical NTK of the network after training on
n0 samples (a few n0), used for kernel regression on n samples, against n: its exponent against the
network's (and the eNTK at θ0's, n0 = 0)."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ...claims import Claim
from ...errors import ConfigError
from ...pipeline import Needs
from ...pipeline.requests import State
from . import common
from .common import ENTK, NETWORK
from .fig1 import exceeds_claims, plot_curves

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        # the sizes of the pre-training sets (each a nested subset of its seed, as the runs on n)
        "n0": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 1},
               "default": [250, 1000]},
    },
}
KEYS = ("predictor", "ridge")


def n0_values(ctx) -> list[int]:
    values = sorted(ctx.section.get("n0") or SCHEMA["properties"]["n0"]["default"])
    n_train, _ = ctx.sizes(common.dataset(ctx))
    if values[-1] > n_train:
        raise ConfigError(f"config key '{ctx.paper_key}.fig3.n0': {values[-1]} samples, but {common.dataset(ctx)} "
                          f"has only {n_train} training samples")
    return values


def pretrained(n0: int) -> str:
    return f"eNTK after n0={n0}"


def needs(ctx) -> Needs:
    seed_list, size_list = common.seeds(ctx), common.sizes(ctx)
    kernels = [(lab, req) for lab, req in common.init_kernel_requests(ctx, seed_list) if lab["predictor"] == ENTK]
    for n0 in n0_values(ctx):
        for s in seed_list:
            r = common.run(ctx, n0, s)
            state = State(r.dataset, r.model, r.seed, r, "final")
            kernels.append(({"predictor": pretrained(n0), "seed": s, "kind": common.kernel_kind(ctx)},
                            common.kernel(ctx, state, common.kernel_kind(ctx))))
    return Needs({"networks": common.network_requests(ctx, seed_list, size_list), **common.with_offsets(ctx, kernels),
                  "subsets": common.subset_requests(ctx, seed_list, size_list)}, common.params(ctx))


def title(ctx) -> str:
    return (f"Pre-trained eNTK: kernel regression with the eNTK after training on n0 = "
            f"{', '.join(map(str, n0_values(ctx)))} samples, on {common.dataset(ctx)} ({common.task(ctx)})")


def caption(ctx) -> str:
    return (
        f"**Figure 3** (our number). Test error and MSE against n (as Figure 1) of the network trained on n, and of "
        f"kernel regression ({common.offset_text(ctx)}) with the empirical NTK of the network after training on n0 = "
        f"{', '.join(map(str, n0_values(ctx)))} samples (the first n0 of the seed's permutation, "
        f"{ctx.paper['steps']:,} steps), and at θ0 (n0 = 0); legend: exponents with "
        f"{ctx.paper['confidence']:.0%} intervals over seeds. The paper's claim: the pre-trained kernel scales better "
        "than the kernel at θ0 but does not catch up with the network. Scorecard: Figure 3 lines."
    )


def table(inputs, params) -> dict:
    subsets = common.subsets_by_seed(inputs["subsets"])
    rows = common.network_rows(inputs["networks"]) + common.kernel_rows(inputs, subsets, params)
    return common.with_exponents(rows, KEYS, params["confidence"])


@plotting.styled
def plot(table, title):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    ridge = min(float(r) for r in table["ridge"] if np.isfinite(r))
    rows = np.isnan(table["ridge"]) | (table["ridge"] == ridge)
    for ax, metric in zip(axes, common.METRICS):
        plot_curves(ax, table, metric, rows)
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    out = []
    for predictor in dict.fromkeys(t["predictor"].tolist()):
        if predictor not in (NETWORK, ENTK):
            out += exceeds_claims(t, predictor, "The pre-trained kernel does not catch up with the network: the "
                                  "network's exponent exceeds that of its eNTK after training on n0 samples")
    return out
