"""Figure 2: test accuracy on sign(φ_j) vs j for networks and their linearizations; CIFAR2 baseline."""

from ntkrepro import io, tables
from ntkrepro.workflow import run


def main(snakemake, log):
    table = tables.accuracy_table(snakemake.params.runs, snakemake.input.metrics)
    io.write_csv(table, snakemake.output[0])


run(snakemake, main)
