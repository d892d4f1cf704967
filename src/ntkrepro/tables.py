"""Helpers figure modules share to assemble their tables from the metrics earlier rules computed.

Each takes the labels of its inputs (model, kind, index, ...) and the files they point to, and
returns columns (name -> list) in the order the figure's CSV has them.
"""

from __future__ import annotations

from . import io


def final(path) -> dict:
    """The last row of a run's per-epoch metrics."""
    table = io.read_csv(path)
    return {k: v[-1] for k, v in table.items()}


def accuracy_table(items: list[tuple[dict, str]]) -> dict:
    """One row per run: its labels, its final test accuracy and distances to its start."""
    columns: dict[str, list] = {k: [] for k in items[0][0]}
    columns.update(test_accuracy=[], distance_l2=[], distance_cosine=[])
    for label, path in items:
        for k, v in label.items():
            columns[k].append(v)
        last = final(path)
        for k in ("test_accuracy", "distance_l2", "distance_cosine"):
            columns[k].append(last[k])
    return columns


def curves_table(items: list[tuple[dict, str]], metrics=("train_loss", "test_accuracy")) -> dict:
    """One row per run and epoch: its labels and the per-epoch ``metrics``."""
    rows: dict[str, list] = {k: [] for k in items[0][0]}
    rows["epoch"] = []
    rows.update({m: [] for m in metrics})
    for label, path in items:
        table = io.read_csv(path)
        for i in range(len(table["epoch"])):
            for k, v in label.items():
                rows[k].append(v)
            rows["epoch"].append(int(table["epoch"][i]))
            for m in metrics:
                rows[m].append(table[m][i])
    return rows
