"""Alignment of two kinds of kernel of the same network state on the same samples."""

from ntkrepro import analysis, io, ntk
from ntkrepro.workflow import run


def main(snakemake, log):
    a, b = (ntk.read_gram(path, kernel=None) for path in (snakemake.input.kernel, snakemake.input.other))
    values = {"alignment": [analysis.alignment(a, b)], "cka": [analysis.cka(a, b)]}
    log.info(f"alignment {values['alignment'][0]:.4f}, CKA {values['cka'][0]:.4f}")
    io.write_csv(values, snakemake.output[0])


run(snakemake, main)
