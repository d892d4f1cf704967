"""Figure 9: test accuracy of linearizations around θ_e vs pretraining epochs e."""

from ntkrepro import io, tables
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    table = tables.accuracy_table(p.runs, snakemake.input.metrics)
    io.write_csv(table, snakemake.output[0])


run(snakemake, main)
