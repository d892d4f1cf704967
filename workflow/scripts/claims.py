"""The claims scorecard: each figure's claim, the statistic that tests it, its value, its verdict."""

from ntkrepro import claims, io
from ntkrepro.workflow import run


def main(snakemake, log):
    tables = {n: io.read_csv(path) for n, path in zip(snakemake.params.figures, snakemake.input.tables)}
    card = claims.scorecard(tables)
    io.write_csv(claims.columns(card), snakemake.output.csv)
    io.write_text(claims.markdown(card, snakemake.params.scale), snakemake.output.md)
    for c in card:
        log.info(f"Figure {c.figure}: {claims.verdict(c.holds)} ({c.value:.4g}) - {c.claim}")


run(snakemake, main)
