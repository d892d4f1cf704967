"""Lay out an item's table (figures/<item>.csv) as Markdown, from the table alone."""

from importlib import import_module

from ntkrepro import io
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    io.write_text(import_module(p.module).markdown(io.read_csv(snakemake.input[0])), snakemake.output[0])


run(snakemake, main)
