"""Figure 5: CIFAR2 test accuracy and distance to θ0 vs training-set size, network vs linearization."""

from ntkrepro import io, tables
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    table = tables.accuracy_table(p.runs, snakemake.input.metrics)
    io.write_csv(table, snakemake.output[0])


run(snakemake, main)
