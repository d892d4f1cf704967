"""Figure 7: test error of hard-margin SVMs on the after kernel and on its conjugate projection,
against the epochs of training, for each architecture and task."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = {"svm after kernel": results.SVM, "svm conjugate kernel": results.SVM_CONJUGATE}
NEAR = 0.01


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 7: SVM on the after kernel and on the conjugate kernel vs epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 7.** Test error of the hard-margin SVM on the after kernel (solid) and on its conjugate projection "
        "(the last hidden layer's activations; dash-dot), against the epochs of training. The paper: in most cases "
        "the conjugate kernel is nearly as accurate, except for VGG on MNIST 5 vs 6, where the after kernel is "
        "substantially better; on cat vs dog the after kernel leads for a while, then the conjugate kernel catches "
        f"up. 'Nearly as accurate' is read as a mean error gap of at most {NEAR}. Scorecard: Figure 7 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "epoch", list(SERIES), "SVM test error")


def claims(t):
    keys = results.panels(t)
    per = dict(zip(keys, results.gaps(t, "svm conjugate kernel", "svm after kernel", keys=keys)))
    mean_gap = {k: float(np.mean(g[e > 0])) if np.any(e > 0) else float("nan") for k, (e, g) in per.items()}
    finite = [v for v in mean_gap.values() if np.isfinite(v)]
    near = float(np.mean([v <= NEAR for v in finite])) if finite else float("nan")
    five_six = [k for k in keys if k[0] == "VGG" and k[1] == "5 vs 6"]
    if five_six and len(finite) > 1:
        gap56 = mean_gap[five_six[0]]
        rest = max(v for k, v in mean_gap.items() if k != five_six[0] and np.isfinite(v))
        exception = gap56 - max(rest, NEAR)
    else:
        exception = float("nan")
    catch = float("nan")
    for k in keys:
        if k[2] == "cifar":
            e, g = per[k]
            middle = g[(e > 0) & (e < e.max())] if len(e) else g
            if len(middle) and middle.max() > 0:
                catch = float(g[-1] / middle.max())
    return [
        results.claim("In most cases the SVM on the conjugate kernel is nearly as accurate as the SVM on the after kernel.",
                f"fraction of settings whose mean (conjugate - after kernel) SVM error after initialization is at most "
                f"{NEAR}; holds if > 0.5", near, lambda v: v > 0.5, requires=[results.begun(t)]),
        results.claim("The exception is the VGG-like network on MNIST 5 vs 6, where the after kernel is substantially more "
                "accurate.", f"mean error gap (conjugate - after) of VGG on 5 vs 6 - the larger of {NEAR} and the "
                "largest gap of the other settings (not computable without a 5 vs 6 task); holds if > 0",
                exception, lambda v: v > 0, requires=[results.begun(t, ("VGG",), "mnist")]),
        results.claim("On cat vs dog the after kernel leads to better accuracy for a while, but its conjugate projection "
                "catches up.", "gap (conjugate - after) at the last checkpoint / largest gap at intermediate "
                "checkpoints (VGG, cat vs dog or its stand-in; not computable if the after kernel never led); "
                "holds if < 0.5", catch, lambda v: v < 0.5, requires=[results.begun(t, ("VGG",), "cifar")],
                standin=results.standin(t)),
    ]
