"""Draw a figure from its table (figures/figN.csv) alone."""

from ntkrepro import io, plotting
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    plotting.save(plotting.FIGURES[p.figure](io.read_csv(snakemake.input[0]), p.title), snakemake.output[0], p.dpi)


run(snakemake, main)
