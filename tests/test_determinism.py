"""The same configuration and seed give identical results on the CPU across runs and across
--cores 1 vs --cores 4 (numerical jobs use compute.threads, not the cores Snakemake grants)."""

import csv

import numpy as np
import pytest
from workflow_helpers import copy_workflow, snakemake

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


def test_results_do_not_depend_on_cores(tmp_path):
    works = {}
    for cores in (1, 4):
        works[cores] = copy_workflow(tmp_path / f"cores{cores}")
        snakemake(works[cores], "figures/fig7.pdf", "--configfile", ".test/config.yaml", cores=cores)
    for rel in COMPARED:
        assert without_wall_clock(works[1] / rel) == without_wall_clock(works[4] / rel), rel
    for rel in GRAMS:
        assert np.array_equal(ntk.read_gram(works[1] / rel), ntk.read_gram(works[4] / rel)), rel


def without_wall_clock(path):
    """The CSV's rows as text, every column but the wall-clock one (the numbers as written)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, path
    return [{k: v for k, v in row.items() if k != WALL_CLOCK} for row in rows]
