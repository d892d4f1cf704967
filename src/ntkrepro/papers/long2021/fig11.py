"""Figure 11: translation, zoom and rotation invariance of the after kernel against the learning
rate: (a-c) one transform each on the MNIST tasks, (d) all three for VGG on cat vs dog."""

import numpy as np

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
        "and zooms, the text on this figure says *less*. The scorecard reports the measured sign, tested where it "
        "exceeds its interval over seeds. "
        "Scorecard: Figure 11 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "lr", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    return drawing.lr_family_panels(t, title)


def claims(t):
    slope, interval = results.mean_slope(t, SERIES)
    sign = {1.0: "more", -1.0: "less", 0.0: "neither more nor less"}.get(float(np.sign(slope)), "not measured")
    return [results.claim(
        "Larger learning rates change the after kernel's invariance to small shifts, rotations and zooms (the paper "
        "states both signs: more invariant in its abstract and introduction, less in its text on Figure 11). "
        f"Measured: {sign} invariant.",
        "mean over settings and transforms of the slope of invariance against log10(learning rate), its sign the "
        f"measured one; holds if |slope| exceeds its interval over seeds (tested where every run reached training "
        f"loss < {results.TRAINED})", slope, lambda v: abs(v) > interval,
        requires=[results.lr_trained(t), "" if np.isfinite(interval) else f"{results.INTERVAL} is not known (one seed)"])]
