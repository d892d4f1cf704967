"""Figure 2: training and test accuracy of LeNet and its linearization at θ0 (LinLeNet) trained on
MNIST, against the width factor."""

from ... import plotting
from ...claims import Claim
from ...pipeline import Needs
from .accuracy import accuracy_runs, accuracy_table, gap_claims, plot_accuracy
from .common import MODEL, scale_text, seeds, width_label, widths

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {"model": {**MODEL, "default": None,
                                                                                     "type": ["string", "null"]}}}
NAMES = {"LeNet": "network", "LinLeNet": "linearized"}


def needs(ctx) -> Needs:
    model, key = (ctx.section["model"], "fig2.model") if ctx.section.get("model") else (ctx.paper["model"], "model")
    return Needs({"metrics": accuracy_runs(ctx, model=model, dataset=ctx.dataset, recipe=ctx.paper["recipe"],
                                           role="main", names=NAMES, key=key)})


def title(ctx) -> str:
    return f"LeNet (•) and LinLeNet (★) on {ctx.dataset} ({scale_text(ctx)})"


def caption(ctx) -> str:
    return (
        f"**Figure 2.** Training (left) and test accuracy (right) of LeNet (•, solid) and its linearization at θ0, "
        f"LinLeNet (★, dashed), trained on {ctx.dataset} with MSE on one-hot targets and SGD, against the width factor "
        f"({', '.join(width_label(w) for w in widths(ctx))}); mean ± standard deviation over {len(seeds(ctx))} seed(s), "
        "each seed giving both the same θ0 and mini-batches. The paper's claims: a test-error gap of 4.67 pp at ×1 "
        "that shrinks to 0.48 pp at ×60, LinLeNet improving with width much more than LeNet. Scorecard: "
        "``figures/samarin2022/claims.md``, Figure 2 lines."
    )


def table(inputs, params) -> dict:
    return accuracy_table(inputs, params)


@plotting.styled
def plot(table, title):
    return plot_accuracy(table, title)


def claims(t) -> list[Claim]:
    return gap_claims(t, "main", "MNIST", (4.67, 0.48),
                      ("The gap nearly closes at ×60, to at most a fifth of its ×1 value", lambda v: v <= 0.2,
                       "holds if ≤ 0.2"))
