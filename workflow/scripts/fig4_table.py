"""Figure 4: accuracy on linearly separable tasks along NADs, and the predicted alignment σ_j²."""

from ntkrepro import io, nads, tables
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    alignments = [nads.read(path)[0] for path in snakemake.input.nads]
    table = tables.nad_table(p.models, alignments, p.runs, snakemake.input.metrics)
    io.write_csv(table, snakemake.output[0])


run(snakemake, main)
