"""A figure's table (figures/<item>.csv) from the files its module asked for."""

from importlib import import_module

from ntkrepro import io
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    inputs = {name: list(zip(p.labels[name], snakemake.input[name])) for name in p.labels}
    table = import_module(p.module).table(inputs, p.table)
    io.write_csv(table, snakemake.output[0])
    log.info(f"{p.module}: {len(next(iter(table.values())))} rows")


run(snakemake, main)
