"""Figure 13: test error of hard-margin SVMs on the after kernel and on the conjugate kernel, against
the learning rate, for each architecture and task."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.LR_FIGURE
SERIES = {"svm after kernel": results.SVM, "svm conjugate kernel": results.SVM_CONJUGATE}


def needs(ctx):
    return Needs({"eval": c.lr_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 13: SVM on the after kernel and on the conjugate kernel vs learning rate ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 13.** Test error of the hard-margin SVM on the after kernel (solid) and on the conjugate kernel "
        "(dash-dot) of networks trained to the loss target, against the learning rate. The paper: generally the "
        "after kernel is more accurate, but the conjugate kernel is more competitive at higher learning rates. "
        "Scorecard: Figure 13 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "lr", SERIES)


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "lr", list(SERIES), "SVM test error")


def claims(t):
    per = results.gaps(t, "svm conjugate kernel", "svm after kernel", "lr")
    gap = results.mean_finite(np.mean(g) for _, g in per if len(g))
    slope = results.mean_finite(results.slope_vs_log(e, g) for e, g in per)
    return [
        results.claim("Generally the after kernel gives better accuracy than the conjugate kernel.",
                "mean over settings and learning rates of SVM error (conjugate - after kernel); holds if > 0",
                gap, lambda v: v > 0),
        results.claim("The conjugate kernel is more competitive at higher learning rates.",
                "mean over settings of the slope of that error gap against log10(learning rate); holds if < 0",
                slope, lambda v: v < 0),
    ]
