"""The same configuration and seed give identical results on the CPU across runs and across
--cores 1 (one figure alone) vs --cores 2 (every figure, jobs side by side): numerical jobs use
compute.threads, not the cores Snakemake grants."""

import csv

import numpy as np
import pytest

from ntkrepro import ntk

pytestmark = pytest.mark.workflow

RUN = "results/runs/synthetic/lenet-seed42/eigenfunction5/ortiz2021/network"
COMPARED = [
    "figures/fig7.csv",
    "results/alignment/synthetic/classes/all/lenet-seed42/eigenfunction5/ortiz2021/network/epoch3/ntk.csv",
    f"{RUN}/metrics.csv",
    f"{RUN}/steps.csv",
]
WALL_CLOCK = "seconds"  # metrics.csv records how long each epoch took
GRAMS = [
    "results/kernels/synthetic/classes/all/lenet-seed42/init/ntk.h5",
    "results/kernels/synthetic/classes/all/lenet-seed42/eigenfunction5/ortiz2021/network/epoch3/ntk.h5",
]


def test_results_do_not_depend_on_cores(fig7_alone, built):
    for rel in COMPARED:
        assert without_wall_clock(fig7_alone / rel) == without_wall_clock(built / rel), rel
    for rel in GRAMS:
        assert np.array_equal(ntk.read_gram(fig7_alone / rel), ntk.read_gram(built / rel)), rel


def without_wall_clock(path):
    """The CSV's rows as text, every column but the wall-clock one (the numbers as written)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, path
    return [{k: v for k, v in row.items() if k != WALL_CLOCK} for row in rows]
