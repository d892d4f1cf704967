"""Figure 2: test error of the hard-margin SVM on the after kernel and of the network that produced
the kernel, against the epochs of training, for each architecture and task."""

import numpy as np

from ... import plotting
from ...pipeline import Needs
from . import common as c, drawing, results

SCHEMA = c.EPOCH_FIGURE
SERIES = {"svm after kernel": results.SVM, "network": results.NETWORK}


def needs(ctx):
    return Needs({"eval": c.epoch_needs(ctx, c.settings(ctx))})


def title(ctx) -> str:
    return f"Figure 2: SVM on the after kernel and the network itself vs training epochs ({c.title_scale(ctx)})"


def caption(ctx) -> str:
    return (
        "**Figure 2.** Test error of the hard-margin SVM on the after kernel (solid) and of the network whose "
        "after kernel it is (dashed), against the epochs of training, for (a, b) the VGG-like network on the MNIST "
        "tasks, (c, d) the fully connected network on them and (e) the VGG-like network on cat vs dog (or its "
        "stand-in). Mean ± sd/√n over seeds. The paper: the kernel is learned first — for a while the SVM on the "
        "after kernel is much more accurate than the network — and the network finally catches up. "
        "Scorecard: Figure 2 lines."
    )


def table(inputs, params) -> dict:
    return results.series_table(inputs["eval"], "epoch", results.with_training_loss(SERIES))


@plotting.styled
def plot(t, title):
    return drawing.setting_panels(t, title, "epoch", list(SERIES), "test error")


def claims(t):
    learning, led, last = [], False, []  # (gap, interval) while learning; the SVM ever led; at the last checkpoint
    for model, task, _ in results.panels(t):
        e, g, ci = results.paired(t, model, task, "network", "svm after kernel")
        if len(e) < 3:
            continue
        loss = np.array([results.loss_at(t, model, task, x) for x in e])
        inner = (e > 0) & (e < e.max()) & (loss < results.LEARNING)
        learning += list(zip(g[inner], ci[inner]))
        led |= bool(np.any(g[inner] > ci[inner]))
        last.append((g[-1], ci[-1], loss[-1]))
    middle = float(np.mean([g for g, _ in learning])) if learning else float("nan")
    begun = "" if learning or not last else (f"the network had not begun to learn (training loss < "
                                             f"{results.LEARNING}) at any intermediate checkpoint")
    behind = max((g - ci for g, ci, _ in last), default=float("nan"))
    worst_loss = max((loss for *_, loss in last), default=float("nan"))
    one_seed = "" if all(np.isfinite(ci) for _, ci, _ in last) else f"{results.INTERVAL} is not known (one seed)"
    return [
        results.claim("For much of training the SVM on the after kernel is more accurate than the network that "
                      "produced the kernel (the kernel is learned first).",
                      "mean over settings and intermediate checkpoints where the network has begun to learn "
                      f"(training loss < {results.LEARNING}; chance ln 2) of network error - SVM error; holds if > 0",
                      middle, lambda v: v > 0,
                      requires=[begun, results.resolved(middle, results.interval_of_mean(ci for _, ci in learning))]),
        results.claim("Ultimately the test error of the network catches up with that of the SVM on its after kernel.",
                      "largest over settings of (network error - SVM error) at the last checkpoint minus its interval "
                      "over seeds; holds if <= 0 (tested where the network has trained, training loss < "
                      f"{results.TRAINED}, and the SVM led it while learning by more than the interval)",
                      behind, lambda v: v <= 0,
                      requires=[results.trained(worst_loss, results.TRAINED, "largest training loss at the last checkpoint"),
                                one_seed, "" if led or not last else "the SVM never led the network by more than the "
                                "interval over seeds: nothing to catch up"]),
    ]
