"""α_t(φ_j) of the eigenfunctions at initialization with the Gram matrix at each epoch t."""

from ntkrepro import io, ntk, spectra
from ntkrepro.workflow import run


def main(snakemake, log):
    values, vectors = spectra.read_spectrum(snakemake.input.spectrum)
    table = {"index": range(1, len(values) + 1), "eigenvalue": values}
    for epoch, path in zip(snakemake.params.epochs, snakemake.input.kernels):
        with ntk.open_gram(path) as (K, meta):
            if epoch == 0:
                spectra.check_source(snakemake.input.spectrum, meta, path)
            alpha = spectra.alignment(vectors, K)
        table[f"alpha_epoch{epoch}"] = alpha
        log.info(f"epoch {epoch}: α range {alpha.min():.4g} .. {alpha.max():.4g}")
    io.write_csv(table, snakemake.output[0])


run(snakemake, main)
