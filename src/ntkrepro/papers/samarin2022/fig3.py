"""Figure 3: as Figure 2, on MNIST with every digit shifted by a random number of pixels (up to 7 in
each direction); the unshifted results are kept beside them for the comparison the text makes."""

from ... import plotting
from ...claims import Claim
from ...pipeline import Needs
from .accuracy import accuracy_runs, accuracy_table, gap_claims, harder_claim, plot_accuracy
from .common import MODEL, scale_text, seeds, shift_text, shifted, width_label, widths
from .fig2 import NAMES

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {"model": {**MODEL, "default": None,
                                                                                     "type": ["string", "null"]}}}


def needs(ctx) -> Needs:
    model, key = (ctx.section["model"], "fig3.model") if ctx.section.get("model") else (ctx.paper["model"], "model")
    recipe = ctx.paper["recipe"]
    runs = accuracy_runs(ctx, model=model, dataset=shifted(ctx), recipe=recipe, role="main", names=NAMES, key=key)
    runs += accuracy_runs(ctx, model=model, dataset=ctx.dataset, recipe=recipe, role="reference", names=NAMES, key=key)
    return Needs({"metrics": runs})


def title(ctx) -> str:
    return f"LeNet (•) and LinLeNet (★) on {shifted(ctx)}: {shift_text(ctx)} ({scale_text(ctx)})"


def caption(ctx) -> str:
    return (
        f"**Figure 3.** As Figure 2, on {ctx.dataset} with {shift_text(ctx)} (each image moved once, by a random "
        "whole number of pixels in each direction, zeros filling in); grey: the unshifted digits of Figure 2. "
        f"Widths {', '.join(width_label(w) for w in widths(ctx))}, {len(seeds(ctx))} seed(s). The paper's claims: "
        "larger gaps than without shifts (27.65 pp at ×1), shrinking with width (3.91 pp at ×60). Scorecard: "
        "Figure 3 lines."
    )


def table(inputs, params) -> dict:
    return accuracy_table(inputs, params)


@plotting.styled
def plot(table, title):
    return plot_accuracy(table, title, reference="unshifted")


def claims(t) -> list[Claim]:
    out = gap_claims(t, "main", "shifted MNIST", (27.65, 3.91),
                     ("The gap nearly closes at ×60, to at most a fifth of its ×1 value", lambda v: v <= 0.2,
                      "holds if ≤ 0.2"))
    out.append(harder_claim(t, "main", "unshifted MNIST",
                            "Shifting the digits makes the gap larger than on unshifted MNIST, at every width."))
    return out
