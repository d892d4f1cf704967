"""Figure 8: training loss and test accuracy of a network and its linearizations at θ0 and θ*."""

from ntkrepro import io, tables
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    table = tables.curves_table([{"model": name} for name in p.names], snakemake.input.metrics)
    io.write_csv(table, snakemake.output[0])


run(snakemake, main)
