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
        "epochs of training, at the same seeds (the same θ0: equal at epoch 0). The paper's sanity check: "
        "augmentation improves the network, and this carries over to the SVM on the kernel it trained. "
        "Scorecard: Figure 16 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


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


def claims(t):
    out = []
    for series, text in (("network", "Data augmentation improves the test accuracy of the networks."),
                         ("svm after kernel", "... and this carries over to the SVM trained with the kernel of the "
                                              "network trained with augmentation.")):
        pairs = results.augmentation_pairs(t, [series])
        last = results.at_last(pairs)
        gain = results.mean_finite(-p[2] for p in last)  # error without - with
        out.append(results.claim(
            text, f"mean over settings of {series} test error without - with augmentation at the last checkpoint, at "
                  "the same seeds and θ0; holds if > 0 (tested where the networks have begun to learn: training loss "
                  f"< {results.LEARNING})", gain, lambda v: v > 0,
            requires=[results.unmatched(pairs),
                      results.trained(results.largest_loss(last), results.LEARNING,
                                      "largest training loss at the last checkpoint"),
                      results.resolved(gain, results.interval_of_mean(p[3] for p in last))]))
    return out
