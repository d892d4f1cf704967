"""Figure 8: translation, zoom and rotation invariance of the after kernel with and without data
augmentation (random rotations up to 15 degrees and shifts up to one pixel), against the epochs of
training (panels as Figure 4)."""

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = results.invariance_series(c.FAMILIES)
FAMILY_COLOR = {"invariance translation": "#1f77b4", "invariance zoom": "#ff7f0e", "invariance rotation": "#2ca02c"}
NO_GAIN = 0.01


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx, mega=True), augmented_too=True)})


def title(ctx) -> str:
    return f"Figure 8: invariances with and without data augmentation vs epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 8.** Translation, zoom and rotation invariance of the after kernel (as in Figure 5) of networks "
        "trained without (solid) and with (dotted, open markers) data augmentation: random rotations within ±15° and "
        "shifts within ±1 pixel of each training image (recipe ``augmentation: shift-rotate``; see config/README.md "
        "for Keras' integer width_shift_range=1, under which the author's code does not shift at all). Panels as in "
        "Figure 4; the runs without augmentation are those at the augmented runs' seeds (the same θ0: equal at epoch 0). "
        "The paper: augmentation does not improve these invariances. Scorecard: Figure 8 line."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(4, width=3.6, height=2.9)
    for ax, (model, group, name) in zip(axes, c.INVARIANCE_PANELS):
        tasks = results.tasks_of(t, model, group)
        markers = ["o", "s", "^", "D"]
        for i, task in enumerate(tasks):
            for series, color in FAMILY_COLOR.items():
                for aug in (0, 1):
                    drawing.line(ax, t, "epoch", model, task, series, augmentation=aug, color=color,
                           marker=markers[i % len(markers)], ls=":" if aug else "-", mfc="white" if aug else color,
                           label=f"{series.split()[1]}, {drawing.short(task)}" + (", augmented" if aug else ""))
        drawing.epoch_axis(ax, t["epoch"])
        ax.set_ylabel("kernel invariance")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for k in tasks) else ""))
    return drawing.finish(fig, axes, title)


def claims(t):
    pairs = results.augmentation_pairs(t, SERIES)
    value = results.mean_finite(p[2] for p in pairs if p[1] > 0)
    return [results.claim("Data augmentation does not improve the after kernel's invariance to shifts, rotations and zooms.",
                          "mean over settings, transforms and checkpoints after 0 of invariance with augmentation - "
                          f"without, at the same seeds and θ0; holds if < {NO_GAIN} (tested where the networks with "
                          f"and without augmentation have begun to learn: training loss < {results.LEARNING} at "
                          "the last checkpoint)", value, lambda v: v < NO_GAIN,
                          requires=[results.unmatched(pairs),
                                    results.trained(results.largest_loss(results.at_last(pairs)), results.LEARNING,
                                                    "largest training loss at the last checkpoint")])]
