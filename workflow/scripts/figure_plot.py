"""Draw a figure from its table (figures/<item>.csv) alone."""

from importlib import import_module

from ntkrepro import io, plotting
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    fig = import_module(p.module).plot(io.read_csv(snakemake.input[0]), p.title)
    plotting.save(fig, snakemake.output[0], p.dpi)


run(snakemake, main)
