"""Figure 3: Figure 2 restricted to the early stage of training."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SERIES = {"svm after kernel": results.SVM, "network": results.NETWORK}
SCHEMA = {"type": "object", "additionalProperties": False,
          "properties": {"epochs": {**c.EPOCHS, "default": [0, 1, 3, 10]}}}


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 3: SVM on the after kernel and the network, early training ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 3.** Figure 2 over the early checkpoints (``fig3.epochs``): test error of the hard-margin SVM on "
        "the after kernel (solid) and of the network (dashed). The paper: the kernel is learned first, then the "
        "network. Scorecard: Figure 3 line."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "epoch", list(SERIES), "test error")


def claims(t):
    first = []  # per setting: (gap, interval) at the first checkpoint where the network has begun to learn
    for model, task, _ in results.panels(t):
        e, g, ci = results.paired(t, model, task, "network", "svm after kernel")
        loss = np.array([results.loss_at(t, model, task, x) for x in e])
        hit = np.flatnonzero((e > 0) & (loss < results.LEARNING))
        if len(hit):
            first.append((g[hit[0]], ci[hit[0]]))
    value = float(np.mean([g for g, _ in first])) if first else float("nan")
    begun = "" if first else (f"the network had not begun to learn (training loss < {results.LEARNING}) at any "
                              "early checkpoint")
    return [results.claim("Early in training the kernel is learned first: after the first epoch(s) the SVM on the after "
                          "kernel is already more accurate than the network.",
                          "mean over settings of network error - SVM error at the first checkpoint after initialization "
                          f"where the network has begun to learn (training loss < {results.LEARNING}; chance ln 2); "
                          "holds if > 0", value, lambda v: v > 0,
                          requires=[begun, results.resolved(value, results.interval_of_mean(ci for _, ci in first))])]
