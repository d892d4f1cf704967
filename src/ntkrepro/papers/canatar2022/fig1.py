"""Figure 1: the CKA of every probed layer's kernel with the target kernel (a: training samples,
b: test samples) and with the input kernel (c: training samples), at the end of training, for every
kept model ordered by test accuracy."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ...claims import Claim, check
from . import common

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {}}
PANELS = (("cka_train", "a: CKA with the target (train)"), ("cka_test", "b: CKA with the target (test)"),
          ("cka_input", "c: CKA with the input (train)"))


def needs(ctx):
    return common.grid_needs(ctx)


def title(ctx) -> str:
    return f"Layer-wise CKA of the kept models ({common.scale_text(ctx)})"


def caption(ctx) -> str:
    return ("**Figure 1.** CKA of each probed layer's kernel (rows: layers 1 … L) with the target kernel on the "
            "fixed training samples (a) and test samples (b), and with the input kernel on the training samples (c), "
            "at the end of training, for the models whose training accuracy exceeds "
            f"{ctx.paper['train_accuracy_threshold']:.0%} (columns, ordered by test accuracy). The paper: target CKA "
            "highest in the last layers, input CKA highest in the first; momentum gives the highest last-layer target "
            "CKA. Scorecard: ``figures/canatar2022/claims.md``, Figure 1 lines.")


def table(inputs, params) -> dict:
    return common.grid_table(inputs, params)


@plotting.styled
def plot(t, title):
    ms = common.models(t)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    names, im = list(ms), None
    for ax, (key, label) in zip(axes, PANELS):
        if not names:
            ax.text(0.5, 0.5, "no model kept", ha="center", transform=ax.transAxes)
            continue
        grid = np.array([ms[n][key] for n in names]).T
        im = ax.imshow(grid, aspect="auto", origin="lower", vmin=0, vmax=1, cmap="viridis")
        ax.set_xlabel("model (by test accuracy)")
        ax.set_ylabel("layer")
        ax.set_yticks(range(grid.shape[0]), [str(i + 1) for i in range(grid.shape[0])])
        ax.set_xticks(range(len(names)), [f"{ms[n]['test_accuracy']:.0%}" for n in names], rotation=90, fontsize=5)
        ax.set_title(label)
        ax.grid(False)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label="CKA")
    fig.suptitle(plotting.wrap(title + f"; {common.heading_note(t)}"))
    return fig


def claims(t) -> list[Claim]:
    ms = common.models(t)
    out = []
    acc = [m["test_accuracy"] for m in ms.values()]
    spread = 100 * (max(acc) - min(acc)) if acc else float("nan")
    out.append(Claim("The kept models' test accuracies spread widely (paper: 58.2–94.7%, 36.5 pp).",
                     "max − min test accuracy over kept models (pp); holds if ≥ 10",
                     spread, check(spread, lambda v: v >= 10)))
    last = np.mean([np.nanargmax(m["cka_train"]) == len(m["cka_train"]) - 1 or
                    np.nanargmax(m["cka_train"]) == len(m["cka_train"]) - 2 for m in ms.values()]) if ms else np.nan
    out.append(Claim("Target CKA is highest in the last layers.",
                     "share of kept models whose highest training target CKA is in one of the last two layers; "
                     "holds if ≥ 0.75", float(last), check(last, lambda v: v >= 0.75)))
    first = np.mean([np.nanargmax(m["cka_input"]) <= 1 for m in ms.values()]) if ms else np.nan
    out.append(Claim("Input CKA is highest in the first layers.",
                     "share of kept models whose highest input CKA is in layer 1 or 2; holds if ≥ 0.75",
                     float(first), check(first, lambda v: v >= 0.75)))
    opts = {o for o in (m["optimizer"] for m in ms.values())}
    if len(opts) < 2:
        value = float("nan")
    else:
        top = max(ms.values(), key=lambda m: m["cka_train"][-1])
        value = float(top["optimizer"] == "momentum")
    out.append(Claim("Momentum gives the highest last-layer target CKA.",
                     "1 if the kept model with the highest last-layer training target CKA uses momentum, else 0; "
                     "holds if = 1", value, check(value, lambda v: v == 1)))
    return out
