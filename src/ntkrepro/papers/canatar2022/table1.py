"""Table I: Pearson correlations, over the kept models, of the hyperparameters and metrics (rows) with
the loss, the test accuracy and the last layer's target CKA (test, train) (columns)."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ...claims import Claim, check
from . import common

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {}}
ROWS = ("Skip", "Aug.", "Batch Size", "LR", "Momentum", "Loss", "Acc.", "CKA (Test)", "CKA (Train)",
        "Avg. CKA (Test)", "Avg. CKA (Train)")
COLUMNS = ("Loss", "Test Acc.", "CKA (Test)", "CKA (Train)")
# the paper's Table I, by row, in the order of COLUMNS
PAPER = {
    "Skip": (0.097, -0.024, -0.026, -0.024), "Aug.": (0.335, 0.806, 0.529, 0.162),
    "Batch Size": (-0.039, -0.247, -0.181, -0.045), "LR": (-0.078, 0.163, -0.035, -0.263),
    "Momentum": (0.099, 0.448, 0.823, 0.936), "Loss": (1.000, 0.384, 0.366, 0.253),
    "Acc.": (0.384, 1.000, 0.850, 0.528), "CKA (Test)": (0.366, 0.850, 1.000, 0.870),
    "CKA (Train)": (0.253, 0.528, 0.870, 1.000), "Avg. CKA (Test)": (0.279, 0.920, 0.944, 0.747),
    "Avg. CKA (Train)": (0.221, 0.828, 0.930, 0.837),
}
HEADING = "**Table I.** Pearson correlations between hyperparameters and metrics over the kept models."


def needs(ctx):
    return common.grid_needs(ctx)


def title(ctx) -> str:
    return f"Pearson correlations over the kept models ({common.scale_text(ctx)})"


def caption(ctx) -> str:
    return (HEADING + " Loss: the final test loss (MSE); CKA (Test/Train): the last probed layer's CKA with the "
            "target kernel; Avg.: averaged over the probed layers; Momentum: 1 for SGD with momentum, 0 for SGD. "
            "Paper values in parentheses in ``table1.md``. Scorecard: ``figures/canatar2022/claims.md``, "
            "Table I lines.")


def variables(ms: list[dict]) -> dict[str, list[float]]:
    return {
        "Skip": [float(m["skip"]) for m in ms], "Aug.": [float(m["augmentation"]) for m in ms],
        "Batch Size": [float(m["batch_size"]) for m in ms], "LR": [float(m["lr"]) for m in ms],
        "Momentum": [float(m["optimizer"] == "momentum") for m in ms], "Loss": [m["test_loss"] for m in ms],
        "Acc.": [m["test_accuracy"] for m in ms], "CKA (Test)": [m["cka_test"][-1] for m in ms],
        "CKA (Train)": [m["cka_train"][-1] for m in ms],
        "Avg. CKA (Test)": [float(np.nanmean(m["cka_test"])) for m in ms],
        "Avg. CKA (Train)": [float(np.nanmean(m["cka_train"])) for m in ms],
    }


def table(inputs, params) -> dict:
    t = {k: np.asarray(v) for k, v in common.grid_table(inputs, params).items()}
    ms = list(common.models(t).values())
    v = variables(ms)
    cols = {"row": [], "column": [], "r": [], "paper": [], "models": []}
    for row in ROWS:
        for j, col in enumerate(COLUMNS):
            cols["row"].append(row)
            cols["column"].append(col)
            cols["r"].append(common.pearson(v[row], v["Acc." if col == "Test Acc." else col]))
            cols["paper"].append(PAPER[row][j])
            cols["models"].append(len(ms))
    return cols


def value(t, row: str, col: str) -> float:
    r = (np.asarray(t["row"]) == row) & (np.asarray(t["column"]) == col)
    return float(np.asarray(t["r"], dtype=float)[r][0])


def markdown(t) -> str:
    n = int(np.asarray(t["models"])[0]) if len(t["models"]) else 0
    lines = [HEADING, "", f"Over {n} kept models. Each cell: the regenerated r, then the paper's in parentheses "
             "(– where r is undefined: a constant variable, or fewer than 3 models).", "",
             "| | " + " | ".join(COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for row in ROWS:
        cells = []
        for j, col in enumerate(COLUMNS):
            r = value(t, row, col)
            cells.append(("–" if not np.isfinite(r) else f"{r:.3f}") + f" ({PAPER[row][j]:.3f})")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@plotting.styled
def plot(t, title):
    grid = np.array([[value(t, row, col) for col in COLUMNS] for row in ROWS])
    paper = np.array([PAPER[row] for row in ROWS])
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, g, name in zip(axes, (grid, paper), ("regenerated", "paper")):
        im = ax.imshow(g, vmin=-1, vmax=1, cmap="RdBu_r", aspect="auto")
        ax.set_xticks(range(len(COLUMNS)), COLUMNS, rotation=30, fontsize=6)
        ax.set_yticks(range(len(ROWS)), ROWS if ax is axes[0] else [""] * len(ROWS), fontsize=6)
        for i in range(len(ROWS)):
            for j in range(len(COLUMNS)):
                ax.text(j, i, "–" if not np.isfinite(g[i, j]) else f"{g[i, j]:.2f}", ha="center", va="center",
                        fontsize=5)
        ax.set_title(name)
        ax.grid(False)
    fig.colorbar(im, ax=axes, shrink=0.8, label="Pearson r")
    fig.suptitle(plotting.wrap(title))
    return fig


def claims(t) -> list[Claim]:
    out = []
    for row, col, sign in (("Aug.", "Test Acc.", 1), ("Momentum", "CKA (Train)", 1), ("Momentum", "CKA (Test)", 1),
                           ("Acc.", "CKA (Test)", 1), ("CKA (Test)", "CKA (Train)", 1)):
        r = value(t, row, col)
        j = COLUMNS.index(col)
        out.append(Claim(f"{row} correlates positively with {col} (paper: r = {PAPER[row][j]:.3f}).",
                         f"Pearson r({row}, {col}) over kept models; holds if ≥ 0.3",
                         r, check(r, lambda v: v >= 0.3)))
    a, b = value(t, "Avg. CKA (Test)", "Test Acc."), value(t, "CKA (Test)", "Test Acc.")
    out.append(Claim("Layer-averaged test CKA predicts test accuracy better than last-layer test CKA "
                     "(paper: 0.920 > 0.850).", "r(Avg. CKA (Test), Acc.) − r(CKA (Test), Acc.); holds if > 0",
                     a - b, check(a - b, lambda v: v > 0)))
    return out
