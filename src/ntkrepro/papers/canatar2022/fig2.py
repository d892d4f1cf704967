"""Figure 2: (a) the mean ± standard deviation over the kept models of each layer's CKA with the
target kernel, training vs test samples; (b) each layer's CKA with the target vs with the input."""

import matplotlib.pyplot as plt
import numpy as np
import scipy.stats

from ... import plotting
from ...claims import Claim, check
from . import common

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {}}


def needs(ctx):
    return common.grid_needs(ctx)


def title(ctx) -> str:
    return f"Layer-wise CKA, mean ± sd over the kept models ({common.scale_text(ctx)})"


def caption(ctx) -> str:
    return ("**Figure 2.** (a) CKA of each layer's kernel with the target kernel on the training and test samples, "
            "mean ± standard deviation over the kept models; (b) CKA with the target and with the input kernel "
            "(training samples). The paper: a monotone rise with depth, train and test CKA tracking each other, "
            "early layers aligned with the input and late ones with the target. Scorecard: "
            "``figures/canatar2022/claims.md``, Figure 2 lines.")


def table(inputs, params) -> dict:
    return common.grid_table(inputs, params)


def per_layer(t, key) -> tuple[np.ndarray, np.ndarray]:
    ms = common.models(t)
    if not ms:
        return np.array([]), np.array([])
    a = np.array([m[key] for m in ms.values()])
    return np.nanmean(a, axis=0), np.nanstd(a, axis=0)


@plotting.styled
def plot(t, title):
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, pairs in zip(axes, ((("cka_train", "target, train"), ("cka_test", "target, test")),
                                (("cka_train", "target"), ("cka_input", "input")))):
        for i, (key, label) in enumerate(pairs):
            mean, sd = per_layer(t, key)
            layers = np.arange(1, len(mean) + 1)
            c = plotting.MODEL_COLORS[i]
            ax.plot(layers, mean, "o-", ms=3, color=c, label=label)
            ax.fill_between(layers, mean - sd, mean + sd, color=c, alpha=0.2)
        ax.set_xlabel("layer")
        ax.set_ylabel("CKA")
        ax.legend(fontsize=7)
    axes[0].set_title("a: with the target")
    axes[1].set_title("b: target vs input (train)")
    fig.suptitle(plotting.wrap(title + f"; {common.heading_note(t)}"))
    return fig


def claims(t) -> list[Claim]:
    train, _ = per_layer(t, "cka_train")
    test, _ = per_layer(t, "cka_test")
    inp, _ = per_layer(t, "cka_input")
    out = []
    rho = float(scipy.stats.spearmanr(np.arange(len(test)), test)[0]) if len(test) > 2 else float("nan")
    out.append(Claim("Target CKA rises with depth.",
                     "Spearman ρ of layer index and mean test target CKA over kept models; holds if ≥ 0.8",
                     rho, check(rho, lambda v: v >= 0.8)))
    r = common.pearson(train, test)
    out.append(Claim("Training and test target CKA track each other across layers.",
                     "Pearson r over layers of mean training and mean test target CKA; holds if ≥ 0.9",
                     r, check(r, lambda v: v >= 0.9)))
    if len(inp):
        value = float(min(inp[0] - train[0], train[-1] - inp[-1]))
    else:
        value = float("nan")
    out.append(Claim("Early layers align with the input, late ones with the target.",
                     "min(input − target CKA at layer 1, target − input CKA at the last layer), means over kept "
                     "models (training samples); holds if > 0", value, check(value, lambda v: v > 0)))
    return out
