"""Figure 14: translation, zoom and rotation invariance of the after kernel against the learning
rate, for networks trained with and without data augmentation."""

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
    return results.series_table(inputs["eval"], "lr", SERIES)


@plotting.styled
def plot(t, title):
    return drawing.lr_family_panels(t, title, augmentations=(0, 1))


def claims(t):
    slopes = {(k, s): v for s in SERIES for k, v in results.lr_slopes(t, s, augmentation=1).items()}
    cifar = [task for m, task, g in results.panels(t) if g == "cifar"]
    mnist_slope = results.mean_finite(v for ((m, task), _), v in slopes.items() if task not in cifar)
    cifar_slope = results.mean_finite(v for ((m, task), _), v in slopes.items() if task in cifar)
    return [
        results.claim("With data augmentation too, a higher learning rate leads to less invariance to shifts, zooms and "
                "rotations.", "mean over settings and transforms of the slope of invariance against log10(learning "
                "rate), augmented runs; holds if < 0", results.mean_finite(slopes.values()), lambda v: v < 0),
        results.claim("... and the effect is even greater on CIFAR-10.",
                "mean slope on cat vs dog (or its stand-in) - mean slope on the MNIST tasks, augmented runs; "
                "holds if < 0", cifar_slope - mnist_slope, lambda v: v < 0, standin=results.standin(t)),
    ]
