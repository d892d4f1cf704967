"""Figure 3: iterations to a training-loss threshold and distances to θ0 vs eigenfunction index."""

from ntkrepro import io, tables
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    table = tables.dynamics_table(p.indices, snakemake.input.metrics, snakemake.input.steps, p.threshold)
    io.write_csv(table, snakemake.output[0])


run(snakemake, main)
