"""Figure 11: translation, zoom and rotation invariance of the after kernel against the learning
rate: (a-c) one transform each on the MNIST tasks, (d) all three for VGG on cat vs dog."""

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.LR_FIGURE
SERIES = results.invariance_series(c.FAMILIES)


def needs(ctx):
    return Needs({"eval": c.lr_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 11: translation, zoom and rotation invariance vs learning rate ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 11.** Translation, zoom and rotation invariance (as in Figure 5) of the after kernel of networks "
        "trained to the loss target, against the learning rate. The paper contradicts itself on the sign: its "
        "abstract and introduction say larger learning rates give kernels *more* invariant to small shifts, rotations "
        "and zooms, the text on this figure says *less*. Both readings are scored; exactly one can hold. "
        "Scorecard: Figure 11 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "lr", SERIES)


@plotting.styled
def plot(t, title):
    return drawing.lr_family_panels(t, title)


def claims(t):
    slope = results.mean_finite(v for series in SERIES for v in results.lr_slopes(t, series).values())
    stat = "mean over settings and transforms of the slope of invariance against log10(learning rate)"
    return [
        results.claim("Abstract and introduction: the after kernels of networks trained with larger learning rates are more "
                "invariant to small shifts, rotations and zooms.", stat + "; holds if > 0", slope, lambda v: v > 0),
        results.claim("Text on Figure 11: features obtained for larger learning rates are less invariant to these slight "
                "transformations.", stat + "; holds if < 0", slope, lambda v: v < 0),
    ]
