"""Figure 14: translation, zoom and rotation invariance of the after kernel against the learning
rate, for networks trained with and without data augmentation."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.LR_FIGURE
SERIES = results.invariance_series(c.FAMILIES)


def needs(ctx):
    # without augmentation: the states Figures 9-13 evaluate (split all); with: invariances on the test samples
    return Needs({"eval": c.lr_needs(ctx, c.settings(ctx), augmented_too=True)})


def title(ctx) -> str:
    return f"Figure 14: invariances vs learning rate, with and without augmentation ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 14.** Translation, zoom and rotation invariance of the after kernel against the learning rate, for "
        "networks trained to the loss target without (solid) and with (dotted, open markers) data augmentation. The "
        "paper: the trend that a higher learning rate gives less invariance persists with augmentation, and is even "
        "greater on CIFAR-10. Scorecard: Figure 14 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "lr", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    return drawing.lr_family_panels(t, title, augmentations=(0, 1))


def claims(t):
    cifar = [k for k in results.panels(t) if k[2] == "cifar"]
    mnist = [k for k in results.panels(t) if k[2] != "cifar"]
    every, every_interval = results.mean_slope(t, SERIES, augmentation=1)
    cifar_slope, cifar_interval = results.mean_slope(t, SERIES, keys=cifar, augmentation=1)
    mnist_slope, mnist_interval = results.mean_slope(t, SERIES, keys=mnist, augmentation=1)
    more = cifar_slope - mnist_slope
    return [
        results.claim("With data augmentation too, a higher learning rate leads to less invariance to shifts, zooms and "
                      "rotations.", "mean over settings and transforms of the slope of invariance against log10(learning "
                      "rate), augmented runs; holds if < 0 (tested where it exceeds its interval over seeds)",
                      every, lambda v: v < 0, requires=[results.resolved(every, every_interval)]),
        results.claim("... and the effect is even greater on CIFAR-10.",
                      "mean slope on cat vs dog (or its stand-in) - mean slope on the MNIST tasks, augmented runs; "
                      "holds if < 0 (tested as above)", more, lambda v: v < 0,
                      requires=[results.resolved(more, np.hypot(cifar_interval, mnist_interval))],
                      standin=results.standin(t)),
    ]
