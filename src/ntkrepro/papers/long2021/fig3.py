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
    return results.series_table(inputs["eval"], "epoch", SERIES)


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "epoch", list(SERIES), "test error")


def claims(t):
    first = results.mean_finite(g[np.argmin(np.where(e > 0, e, np.inf))] if np.any(e > 0) else np.nan for e, g in results.gaps(t, "network", "svm after kernel"))
    return [results.claim("Early in training the kernel is learned first: after the first epoch(s) the SVM on the after "
                    "kernel is already more accurate than the network.",
                    "mean over settings of network error - SVM error at the first checkpoint after initialization; "
                    "holds if > 0", first, lambda v: v > 0)]
