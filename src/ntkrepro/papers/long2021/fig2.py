"""Figure 2: test error of the hard-margin SVM on the after kernel and of the network that produced
the kernel, against the epochs of training, for each architecture and task."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = {"svm after kernel": results.SVM, "network": results.NETWORK}


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 2: SVM on the after kernel and the network itself vs training epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 2.** Test error of the hard-margin SVM on the after kernel (solid) and of the network whose "
        "after kernel it is (dashed), against the epochs of training, for (a, b) the VGG-like network on the MNIST "
        "tasks, (c, d) the fully connected network on them and (e) the VGG-like network on cat vs dog (or its "
        "stand-in). Mean ± sd/√n over seeds. The paper: the kernel is learned first — for a while the SVM on the "
        "after kernel is much more accurate than the network — and the network finally catches up. "
        "Scorecard: Figure 2 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", SERIES)


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "epoch", list(SERIES), "test error")


def claims(t):
    per = results.gaps(t, "network", "svm after kernel")
    middle = results.mean_finite(np.mean(g[(e > 0) & (e < e.max())]) if np.any((e > 0) & (e < e.max())) else np.nan
                           for e, g in per)
    last = results.mean_finite(g[-1] for e, g in per if len(g))
    peak = results.mean_finite(np.max(g[(e > 0) & (e < e.max())]) if np.any((e > 0) & (e < e.max())) else np.nan
                         for e, g in per)
    ratio = last / peak if np.isfinite(peak) and peak > 0 else float("nan")
    return [
        results.claim("For much of training the SVM on the after kernel is more accurate than the network that "
                "produced the kernel (the kernel is learned first).",
                "mean over settings and intermediate checkpoints of network error - SVM error; holds if > 0",
                middle, lambda v: v > 0),
        results.claim("Ultimately the test error of the network catches up with that of the SVM on its after kernel.",
                "mean network-minus-SVM error gap at the last checkpoint / mean largest gap at intermediate "
                "checkpoints (not computable if the SVM never led); holds if < 0.25",
                ratio, lambda v: v < 0.25),
    ]
