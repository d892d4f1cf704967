"""Figure 6: (a) training and test accuracy of the kept models, ordered by test accuracy; (b) each
model's CKA with the target averaged over the probed layers (training and test samples)."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ...claims import Claim, check
from . import common

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {}}


def needs(ctx):
    return common.grid_needs(ctx)


def title(ctx) -> str:
    return f"Accuracy and layer-averaged CKA of the kept models ({common.scale_text(ctx)})"


def caption(ctx) -> str:
    return ("**Figure 6.** (a) Final training and test accuracy of the kept models, ordered by test accuracy; "
            "(b) their target CKA averaged over the probed layers, on the training and test samples. The paper: "
            "layer-averaged CKA correlates with test accuracy better than the last layer's (Table I: 0.920 vs "
            "0.850). Scorecard: ``figures/canatar2022/claims.md``, Figure 6 lines.")


def table(inputs, params) -> dict:
    return common.grid_table(inputs, params)


@plotting.styled
def plot(t, title):
    ms = common.models(t)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    x = np.arange(len(ms))
    for i, (key, label) in enumerate((("train_accuracy", "train"), ("test_accuracy", "test"))):
        axes[0].plot(x, [100 * m[key] for m in ms.values()], "o-", ms=3, color=plotting.MODEL_COLORS[i], label=label)
    for i, (key, label) in enumerate((("cka_train", "train"), ("cka_test", "test"))):
        axes[1].plot(x, [np.nanmean(m[key]) for m in ms.values()], "o-", ms=3, color=plotting.MODEL_COLORS[i], label=label)
    axes[0].set_ylabel("accuracy (%)")
    axes[1].set_ylabel("layer-averaged target CKA")
    for ax, name in zip(axes, ("a: accuracy", "b: layer-averaged CKA")):
        ax.set_xlabel("model (by test accuracy)")
        ax.set_title(name)
        ax.legend(fontsize=7)
    fig.suptitle(plotting.wrap(title + f"; {common.heading_note(t)}"))
    return fig


def claims(t) -> list[Claim]:
    ms = list(common.models(t).values())
    acc = [m["test_accuracy"] for m in ms]
    avg = common.pearson([np.nanmean(m["cka_test"]) for m in ms], acc)
    last = common.pearson([m["cka_test"][-1] for m in ms], acc)
    value = avg - last
    return [Claim("Layer-averaged test CKA correlates with test accuracy better than last-layer test CKA "
                  "(paper: r = 0.920 vs 0.850).",
                  "r(avg CKA(test), acc) − r(last-layer CKA(test), acc) over kept models; holds if > 0",
                  value, check(value, lambda v: v > 0)),
            Claim("Layer-averaged test CKA correlates positively with test accuracy (paper: r = 0.920).",
                  "Pearson r of layer-averaged test CKA and test accuracy over kept models; holds if ≥ 0.5",
                  avg, check(avg, lambda v: v >= 0.5))]
