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
    return results.series_table(inputs["eval"], "lr", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "lr", list(SERIES), "SVM test error")


def claims(t):
    gaps, intervals, slopes, slope_intervals = [], [], [], []
    for model, task, _ in results.panels(t):
        lrs, g, ci = results.paired(t, model, task, "svm conjugate kernel", "svm after kernel", "lr")
        gaps += g.tolist()
        intervals += ci.tolist()
        slope = results.slope_vs_log(lrs, g)
        if np.isfinite(slope):
            slopes.append(slope)
            slope_intervals.append(results.slope_interval(lrs, ci))
    gap, slope = results.mean_finite(gaps), results.mean_finite(slopes)
    trained = results.lr_trained(t)
    return [
        results.claim("Generally the after kernel gives better accuracy than the conjugate kernel.",
                      "mean over settings and learning rates of SVM error (conjugate - after kernel); holds if > 0 "
                      f"(tested where every run reached training loss < {results.TRAINED} and the gap exceeds its "
                      "interval over seeds)", gap, lambda v: v > 0,
                      requires=[trained, results.resolved(gap, results.interval_of_mean(intervals))]),
        results.claim("The conjugate kernel is more competitive at higher learning rates.",
                      "mean over settings of the slope of that error gap against log10(learning rate); holds if < 0 "
                      "(tested as above)", slope, lambda v: v < 0,
                      requires=[trained, results.resolved(slope, results.interval_of_mean(slope_intervals))]),
    ]
