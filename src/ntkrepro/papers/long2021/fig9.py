"""Figure 9: test error of the hard-margin SVM on the after kernel and of the network, against the
learning rate the network was trained with until its training loss reached the target."""

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.LR_FIGURE
SERIES = {"svm after kernel": results.SVM, "network": results.NETWORK, "epochs trained": ("state", "", "epoch"),
          "training loss": ("network", "", "train_loss")}


def needs(ctx):
    return Needs({"eval": c.lr_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 9: SVM on the after kernel and the network vs learning rate ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    lr = ctx.paper["lr"]
    recipe = ctx.recipe(lr["recipe"])
    return (
        f"**Figure 9.** Test error of the hard-margin SVM on the after kernel (solid) and of the network (dashed), "
        f"against the learning rate of plain SGD (batch 32), each network trained until its mean training loss over "
        f"an epoch is at most {recipe.until_loss} (checked {'after every epoch' if recipe.check == 'every-epoch' else 'after 10, 30, 70, ... epochs, as the author'}, "
        f"at most {recipe.epochs} epochs; the CSV has the epochs each run trained and its final training loss). "
        "The paper: a larger learning rate gives a better kernel; on MNIST 3 vs 8 the SVM beats the network although "
        "the network was trained to almost zero error. Scorecard: Figure 9 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "lr", SERIES)


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "lr", ["svm after kernel", "network"], "test error")


def claims(t):
    slope, interval = results.mean_slope(t, "svm after kernel")
    first = next((task for m, task, g in results.panels(t) if g == "mnist"), None)
    gaps, intervals = [], []
    for model, task, _ in [k for k in results.panels(t) if k[1] == first]:
        _, g, ci = results.paired(t, model, task, "network", "svm after kernel", "lr")
        gaps += g.tolist()
        intervals += ci.tolist()
    beat = results.mean_finite(gaps)
    trained = results.lr_trained(t)
    return [
        results.claim("A network trained with a larger learning rate (to the same training loss) produces a better kernel: "
                      "the SVM's test error falls as the learning rate grows.",
                      "mean over settings of the least-squares slope of SVM test error against log10(learning rate); "
                      f"holds if < 0 (tested where every run reached training loss < {results.TRAINED} and the slope "
                      "exceeds its interval over seeds)", slope, lambda v: v < 0,
                      requires=[trained, results.resolved(slope, interval)]),
        results.claim(f"On MNIST 3 vs 8 the SVM on the after kernel has better test error than the network, although the "
                      f"network was trained to almost zero error (here: {first}).",
                      "mean over learning rates and architectures of network error - SVM error on the first MNIST task; "
                      "holds if > 0 (tested as above)", beat, lambda v: v > 0,
                      requires=[trained, results.resolved(beat, results.interval_of_mean(intervals))]),
    ]
