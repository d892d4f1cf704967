"""Figure 3: for one network trained on sign(φ_j), the iterations to a training-loss threshold and the
ℓ2 and cosine distances between initial and final parameters, against j."""

import matplotlib.pyplot as plt
import numpy as np

from ... import io, plotting
from ...claims import Claim, check
from ...figure_stats import spearman
from ...metrics import iterations_to_loss
from ...pipeline import Metrics, Needs
from .common import INDICES, MODEL, eigenfunction_indices, eigenfunction_task, scale_text

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["model", "eigenfunctions"],
    "properties": {
        "model": MODEL,
        "eigenfunctions": INDICES,
        "loss_threshold": {"type": "number", "exclusiveMinimum": 0, "default": 0.01},
    },
}
COLUMNS = ["iterations_to_threshold", "distance_l2", "distance_cosine"]


def needs(ctx) -> Needs:
    s = ctx.section
    indices = eigenfunction_indices(ctx, "eigenfunctions", s["eigenfunctions"])
    runs = [ctx.run(eigenfunction_task(ctx, "eigenfunctions", j), s["model"]) for j in indices]
    return Needs(
        {"metrics": [({"index": j}, Metrics(r)) for j, r in zip(indices, runs)],
         "steps": [({"index": j}, Metrics(r, "steps")) for j, r in zip(indices, runs)]},
        {"threshold": s["loss_threshold"]},
    )


def title(ctx) -> str:
    return f"{ctx.section['model']} on sign(φ_j) ({scale_text(ctx)})"


def caption(ctx) -> str:
    s = ctx.section
    return (
        f"**Figure 3.** For {s['model']} trained on sign(φ_j): iterations until the mean training loss over one "
        f"epoch of mini-batches falls below {s['loss_threshold']}, and the ℓ2 and cosine distances between initial "
        "and final parameters, against j. The paper's claim: all three grow with j. Scorecard: Figure 3 lines."
    )


def table(inputs, params) -> dict:
    """Iterations to reach the training-loss threshold and distances to θ0, per index j."""
    rows = {"index": [], "iterations_to_threshold": [], "distance_l2": [], "distance_cosine": []}
    for (label, metrics), (_, steps) in zip(inputs["metrics"], inputs["steps"]):
        per_epoch, per_step = io.read_csv(metrics), io.read_csv(steps)
        window = int(per_epoch["step"][0])  # one epoch of mini-batches
        rows["index"].append(label["index"])
        rows["iterations_to_threshold"].append(iterations_to_loss(per_step["loss"], params["threshold"], window))
        rows["distance_l2"].append(per_epoch["distance_l2"][-1])
        rows["distance_cosine"].append(per_epoch["distance_cosine"][-1])
    return rows


@plotting.styled
def plot(table, title):
    j = table["index"]
    order = np.argsort(j)
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), layout="constrained")
    for ax, col, label in zip(axes, COLUMNS, ["iterations to loss threshold", r"$\|\theta_T-\theta_0\|_2$",
                                              r"$1-\cos(\theta_T,\theta_0)$"]):
        ax.plot(j[order], table[col][order], "o-", ms=3, color=plotting.BASE_COLOR)
        plotting.index_axis(ax, j)
        ax.set_xlabel("eigenfunction index $j$")
        ax.set_ylabel(label)
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    out = []
    for col, what in zip(COLUMNS, ["more iterations to reach the training-loss threshold",
                                   "a larger ℓ2 distance from θ0", "a larger cosine distance from θ0"]):
        rho = spearman(t["index"], t[col])
        out.append(Claim(f"Eigenfunctions with larger j need {what}.",
                         f"Spearman correlation of j and {col}; holds if > 0", rho, check(rho, lambda v: v > 0)))
    return out
