"""A paper's claims scorecard: each claim, the statistic that tests it, its value, its verdict."""

from importlib import import_module

from ntkrepro import claims, io
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params
    card = []
    for label, module, path in zip(p.labels, p.modules, snakemake.input.tables):
        for c in import_module(module).claims(io.read_csv(path)):
            c.figure = label
            card.append(c)
            log.info(f"{label}: {c.verdict} ({c.value:.4g}) - {c.claim}")
    log.info(claims.summary(c.verdict for c in card))
    io.write_csv(claims.columns(card), snakemake.output.csv)
    io.write_text(claims.markdown(card, p.title, p.scale), snakemake.output.md)


run(snakemake, main)
