"""Figure 16 (appendix B): test error of the SVM on the after kernel and of the network, with and
without data augmentation, against the epochs of training: (a) VGG-like and (b) fully connected
networks on the MNIST tasks, (c) VGG-like on cat vs dog."""


from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = {"svm after kernel": results.SVM, "network": results.NETWORK}
PANELS = (("VGG", "mnist", "(a) VGG-like, MNIST tasks"), ("MLP", "mnist", "(b) fully connected, MNIST tasks"),
          ("VGG", "cifar", "(c) VGG-like, cat vs dog"))


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx), augmented_too=True)})


def title(ctx) -> str:
    return f"Figure 16: SVM and network with and without data augmentation ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 16 (appendix B).** Test error of the hard-margin SVM on the after kernel (blue) and of the network "
        "(red), for networks trained without (solid) and with (dotted, open markers) data augmentation, against the "
        "epochs of training. The paper's sanity check: augmentation improves the network, and this carries over to "
        "the SVM on the kernel it trained. Scorecard: Figure 16 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", SERIES)


@plotting.styled
def plot(t, title):
    fig, axes = drawing.grid(3)
    for ax, (model, group, name) in zip(axes, PANELS):
        tasks = results.tasks_of(t, model, group)
        markers = ["o", "s", "^", "D"]
        for i, task in enumerate(tasks):
            for series in SERIES:
                color = drawing.SERIES_STYLE[series]["color"]
                for aug in (0, 1):
                    drawing.line(ax, t, "epoch", model, task, series, augmentation=aug, color=color,
                           marker=markers[i % len(markers)], ls=":" if aug else "-", mfc="white" if aug else color,
                           label=f"{series}, {drawing.short(task)}" + (", augmented" if aug else ""))
        drawing.epoch_axis(ax, t["epoch"])
        ax.set_ylabel("test error")
        ax.set_title(name + (" (stand-in)" if any("(stand-in" in k for k in tasks) else ""))
    return drawing.finish(fig, axes, title)


def gain(t, series):
    out = []
    for model, task, _ in results.panels(t):
        x0, a, _ = results.curve(t, model, task, series, augmentation=0)
        x1, b, _ = results.curve(t, model, task, series, augmentation=1)
        if len(x0) and len(x1) and x0[-1] == x1[-1]:
            out.append(float(a[-1] - b[-1]))
    return results.mean_finite(out)


def claims(t):
    stat = "mean over settings of {} test error without - with augmentation at the last checkpoint; holds if > 0"
    return [
        results.claim("Data augmentation improves the test accuracy of the networks.", stat.format("network"),
                gain(t, "network"), lambda v: v > 0),
        results.claim("... and this carries over to the SVM trained with the kernel of the network trained with augmentation.",
                stat.format("SVM"), gain(t, "svm after kernel"), lambda v: v > 0),
    ]
