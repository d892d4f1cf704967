"""The data table of each figure, assembled from the metrics that earlier rules computed.

Each function takes the labels of its inputs (model, kind, index, ...) and the files they point to,
and returns columns (name -> list) in the order the figure's CSV has them.
"""

from __future__ import annotations

from . import io
from .metrics import iterations_to_loss


def final(path) -> dict:
    """The last row of a run's per-epoch metrics."""
    table = io.read_csv(path)
    return {k: v[-1] for k, v in table.items()}


def accuracy_table(labels: list[dict], metrics: list) -> dict:
    """One row per run: its labels and the final test accuracy (Figures 2 and 5 and 9)."""
    columns: dict[str, list] = {k: [] for k in labels[0]}
    columns.update(test_accuracy=[], distance_l2=[], distance_cosine=[])
    for label, path in zip(labels, metrics):
        for k, v in label.items():
            columns[k].append(v)
        last = final(path)
        columns["test_accuracy"].append(last["test_accuracy"])
        columns["distance_l2"].append(last["distance_l2"])
        columns["distance_cosine"].append(last["distance_cosine"])
    return columns


def alignment_table(alignment: dict, target: int) -> dict:
    """Figure 7: α at the first and the last epoch of an alignment table, the target marked."""
    epochs = sorted((c for c in alignment if c.startswith("alpha_epoch")), key=lambda c: int(c.removeprefix("alpha_epoch")))
    return {
        "index": alignment["index"].astype(int),
        "alpha_init": alignment[epochs[0]],
        "alpha_trained": alignment[epochs[-1]],
        "is_target": (alignment["index"] == target).astype(int),
    }


def dynamics_table(indices: list[int], metrics: list, steps: list, threshold: float) -> dict:
    """Figure 3: iterations to reach the training-loss threshold and distances to θ0, per index j."""
    rows = {"index": [], "iterations_to_threshold": [], "distance_l2": [], "distance_cosine": []}
    for j, m, s in zip(indices, metrics, steps):
        per_epoch, per_step = io.read_csv(m), io.read_csv(s)
        window = int(per_epoch["step"][0])  # one epoch of mini-batches
        rows["index"].append(j)
        rows["iterations_to_threshold"].append(iterations_to_loss(per_step["loss"], threshold, window))
        rows["distance_l2"].append(per_epoch["distance_l2"][-1])
        rows["distance_cosine"].append(per_epoch["distance_cosine"][-1])
    return rows


def nad_table(models: list[str], alignments: list, labels: list[dict], metrics: list) -> dict:
    """Figure 4: per model and NAD index j, the alignment σ_j² and the accuracies of the trained models."""
    accuracy = {(lab["model"], lab["kind"], lab["index"]): final(p)["test_accuracy"] for lab, p in zip(labels, metrics)}
    rows = {"model": [], "index": [], "alignment": [], "network_accuracy": [], "linearized_accuracy": []}
    for model, sigma2 in zip(models, alignments):
        for j, a in enumerate(sigma2, start=1):
            rows["model"].append(model)
            rows["index"].append(j)
            rows["alignment"].append(a)
            rows["network_accuracy"].append(accuracy.get((model, "network", j), float("nan")))
            rows["linearized_accuracy"].append(accuracy.get((model, "linearized", j), float("nan")))
    return rows


def curves_table(labels: list[dict], metrics: list) -> dict:
    """Figure 8: per-epoch training loss and test accuracy of each model."""
    rows: dict[str, list] = {k: [] for k in labels[0]}
    rows.update(epoch=[], train_loss=[], test_accuracy=[])
    for label, path in zip(labels, metrics):
        table = io.read_csv(path)
        for i in range(len(table["epoch"])):
            for k, v in label.items():
                rows[k].append(v)
            rows["epoch"].append(int(table["epoch"][i]))
            rows["train_loss"].append(table["train_loss"][i])
            rows["test_accuracy"].append(table["test_accuracy"][i])
    return rows
