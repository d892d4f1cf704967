"""Figure 5: AlexNet and its linearization (LinAlexNet, with the network's hyperparameters and with its
own best ones) on the ImageNet snake subset, against the width factor. Off by default: it needs the
ImageNet folder (a dataset named under datasets:, e.g. name: imagefolder)."""

from ... import plotting
from ...claims import Claim, check
from ...pipeline import Needs
from .accuracy import accuracy_runs, accuracy_table, gain, gaps, plot_accuracy
from .common import MODEL, WIDTHS, check_dataset, seeds, width_label

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["dataset"],
    "properties": {
        "dataset": {"type": "string"},
        "model": {**MODEL, "default": "alexnet"},
        "widths": {**WIDTHS, "default": [1, 2, 3, 4]},
        "recipe": {"type": "string", "default": "samarin2022-alexnet"},
        # the linearization's own best hyperparameters (the paper: lr 1, weight decay 5e-7)
        "linearized_recipe": {"type": "string", "default": "samarin2022-linalexnet"},
    },
}


def names(ctx) -> dict:
    """{display name: (recipe, form)}: AlexNet, LinAlexNet with AlexNet's recipe, then with its own."""
    s = ctx.section
    net, lin = (ctx.recipe(s[k]).lr for k in ("recipe", "linearized_recipe"))
    same, own = (f"LinAlexNet lr {net:g}", f"LinAlexNet lr {lin:g}") if net != lin else \
        (f"LinAlexNet ({s['recipe']})", f"LinAlexNet ({s['linearized_recipe']})")
    return {"AlexNet": (s["recipe"], "network"), same: (s["recipe"], "linearized"), own: (s["linearized_recipe"], "linearized")}


def needs(ctx) -> Needs:
    s = ctx.section
    check_dataset(ctx, s["dataset"], "fig5.dataset")
    runs = []
    for name, (recipe, form) in names(ctx).items():
        runs += accuracy_runs(ctx, model=s["model"], dataset=s["dataset"], recipe=recipe, role="main", names={name: form},
                              width_list=sorted(s["widths"]), key="fig5.model")
    return Needs({"metrics": runs})


def title(ctx) -> str:
    s = ctx.section
    n_train, n_test = ctx.sizes(s["dataset"])
    return (f"AlexNet (•) and LinAlexNet (★) on {s['dataset']} ({n_train:,} training + {n_test:,} test images), "
            f"{ctx.recipe(s['recipe']).epochs} epochs, {len(seeds(ctx))} seed(s)")


def caption(ctx) -> str:
    s = ctx.section
    net, lin = ctx.recipe(s["recipe"]), ctx.recipe(s["linearized_recipe"])
    return (
        f"**Figure 5.** Training (left) and test accuracy (right) of AlexNet (•; lr {net.lr:g}, weight decay "
        f"{net.weight_decay:g}) and LinAlexNet (★) with the same hyperparameters and with lr {lin.lr:g}, weight decay "
        f"{lin.weight_decay:g}, on {s['dataset']} (the paper: ten ImageNet snake classes, resized to 256 px and "
        f"centre-cropped to 224), widths {', '.join(width_label(w) for w in sorted(s['widths']))}, mean ± standard "
        f"deviation over {len(seeds(ctx))} seed(s). The paper's claims: gaps above 20 pp at every width with equal "
        "hyperparameters; with the linearization's own, 20.4 pp at ×1 and 18.56 pp at ×4; LinAlexNet's training "
        "error falls strongly with width, AlexNet's barely changes. Scorecard: Figure 5 lines."
    )


def table(inputs, params) -> dict:
    return accuracy_table(inputs, params)


@plotting.styled
def plot(table, title):
    return plot_accuracy(table, title)


def claims(t) -> list[Claim]:
    lins = [n for n in dict.fromkeys(t["name"].tolist()) if n.startswith("LinAlexNet")]
    same, best = lins[0], lins[-1]
    out = []
    g = gaps(t, "main", "AlexNet", same)
    value = min(g.values()) if g else float("nan")
    out.append(Claim(f"With AlexNet's hyperparameters ({same}), the test-accuracy gap exceeds 20 pp at every width.",
                     "min over widths of the mean test-accuracy gap AlexNet - LinAlexNet (pp); holds if > 20",
                     value, check(value, lambda v: v > 20)))
    g = gaps(t, "main", "AlexNet", best)
    w = sorted(g)
    value = g[w[-1]] - g[w[0]] if len(w) > 1 else float("nan")
    out.append(Claim(f"With its own hyperparameters ({best}) the gap shrinks with width, slightly (paper: 20.4 pp at ×1, "
                     "18.56 pp at ×4).", "gap at the widest - gap at the narrowest width (pp); holds if < 0",
                     value, check(value, lambda v: v < 0)))
    value = gain(t, "main", best, "train_accuracy") - gain(t, "main", "AlexNet", "train_accuracy")
    out.append(Claim("LinAlexNet's training accuracy rises strongly with width, AlexNet's much less.",
                     f"training-accuracy gain from the narrowest to the widest width, {best} - AlexNet (pp); holds if > 0",
                     value, check(value, lambda v: v > 0)))
    return out
