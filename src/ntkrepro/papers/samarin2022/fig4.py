"""Figure 4: as Figure 2, on CIFAR-10 (the paper), or on whichever dataset ``fig4.dataset`` names (by
default the paper's dataset, so at the default scale this figure shares Figure 2's runs)."""

import numpy as np

from ... import plotting
from ...claims import Claim, check, untested
from ...pipeline import Needs
from .accuracy import accuracy_runs, accuracy_table, gap_claims, harder_claim, plot_accuracy, series
from .common import MODEL, NAME, check_dataset, seeds, width_label, widths
from .fig2 import NAMES

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"dataset": NAME, "recipe": NAME, "model": {**MODEL, **NAME}},
}


def setup(ctx) -> tuple[str, str, str]:
    s = ctx.section
    dataset = s.get("dataset") or ctx.dataset
    check_dataset(ctx, dataset, "fig4.dataset")
    return dataset, s.get("recipe") or ctx.paper["recipe"], s.get("model") or ctx.paper["model"]


def needs(ctx) -> Needs:
    dataset, recipe, model = setup(ctx)
    key = "fig4.model" if ctx.section.get("model") else "model"
    runs = accuracy_runs(ctx, model=model, dataset=dataset, recipe=recipe, role="main", names=NAMES, key=key)
    if dataset != ctx.dataset:  # the MNIST runs of Figure 2, for the comparison of the gaps
        runs += accuracy_runs(ctx, model=ctx.paper["model"], dataset=ctx.dataset, recipe=ctx.paper["recipe"],
                              role="reference", names=NAMES)
    cifar10 = [d for d in {dataset, ctx.dataset} if ctx.plan.dataset_spec(d)["name"] == "cifar10"]
    return Needs({"metrics": runs}, {"cifar10": cifar10})


def title(ctx) -> str:
    dataset, recipe, _ = setup(ctx)
    n_train, n_test = ctx.sizes(dataset)
    return (f"LeNet (•) and LinLeNet (★) on {dataset} (the paper: CIFAR-10), {n_train:,} training + {n_test:,} test "
            f"samples, {ctx.recipe(recipe).epochs} epochs, {len(seeds(ctx))} seed(s)")


def caption(ctx) -> str:
    dataset, recipe, _ = setup(ctx)
    r = ctx.recipe(recipe)
    same = (" At this scale the dataset is the paper's MNIST dataset, so the figure repeats Figure 2's runs and its "
            "CIFAR-10 statements are scored as on a stand-in." if dataset == ctx.dataset else " Grey: Figure 2's dataset.")
    return (
        f"**Figure 4.** As Figure 2, on {dataset} (the paper: CIFAR-10, standardized; learning rate ÷10 every 30 "
        f"epochs), recipe {recipe} ({r.epochs} epochs, schedule {r.schedule}); widths "
        f"{', '.join(width_label(w) for w in widths(ctx))}, {len(seeds(ctx))} seed(s).{same} The paper's claims: gaps "
        "larger than on MNIST, 20.22 pp at ×1 shrinking to 13.17 pp at ×60; LinLeNet×60 beats LeNet×1 on training "
        "and test accuracy. Scorecard: Figure 4 lines."
    )


def table(inputs, params) -> dict:
    t = accuracy_table(inputs, params)
    # 1 where the row's dataset is CIFAR-10, the paper's: the claims on any other are scored as on a stand-in
    t["cifar10"] = [int(d in params["cifar10"]) for d in t["dataset"]]
    return t


@plotting.styled
def plot(table, title):
    return plot_accuracy(table, title, reference="MNIST")


def claims(t) -> list[Claim]:
    main = t["role"] == "main"
    dataset = str(t["dataset"][main][0]) if main.any() else "-"
    out = gap_claims(t, "main", "CIFAR-10", (20.22, 13.17),
                     ("The gap stays appreciable at ×60, above half of its ×1 value", lambda v: v > 0.5, "holds if > 0.5"))
    out.append(harder_claim(t, "main", "MNIST", "The gap on CIFAR-10 is larger than on MNIST at every width."))
    statement = "LinLeNet×60 beats LeNet×1 in both training and test accuracy on CIFAR-10."
    rule = "min(training, test) of accuracy(LinLeNet×60) - accuracy(LeNet×1) (pp); holds if > 0"
    w_lin, train_lin, _ = series(t, "main", "LinLeNet", "train_accuracy")
    w_net, train_net, _ = series(t, "main", "LeNet", "train_accuracy")
    if 60 in w_lin.tolist() and 1 in w_net.tolist():
        _, test_lin, _ = series(t, "main", "LinLeNet", "test_accuracy")
        _, test_net, _ = series(t, "main", "LeNet", "test_accuracy")
        i, j = w_lin.tolist().index(60), w_net.tolist().index(1)
        value = 100 * min(train_lin[i] - train_net[j], test_lin[i] - test_net[j])
        out.append(Claim(statement, rule, value, check(value, lambda v: v > 0)))
    else:
        out.append(untested(statement, rule, "widths ×1 and ×60 are not both built at this scale"))
    standin = not (main.any() and bool(np.all(t["cifar10"][main] == 1)))
    for c in out:
        c.statistic += f" (computed on {dataset}" + (", a stand-in for CIFAR-10)" if standin else ")")
        c.standin = standin
    return out
