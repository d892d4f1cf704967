"""α(φ_j) of a kernel for the eigenfunctions of θ0's kernel on the same samples (α = λ_j for that one)."""

from ntkrepro import io, ntk, spectra
from ntkrepro.workflow import run


def main(snakemake, log):
    values, vectors = spectra.read_spectrum(snakemake.input.spectrum)
    with ntk.open_gram(snakemake.input.kernel) as (K, meta):
        if snakemake.wildcards.state == "init":
            spectra.check_source(snakemake.input.spectrum, meta, snakemake.input.kernel)
        alpha = spectra.alpha(vectors, K)
    log.info(f"α range {alpha.min():.4g} .. {alpha.max():.4g}")
    io.write_csv({"index": range(1, len(values) + 1), "eigenvalue": values, "alignment": alpha}, snakemake.output[0])


run(snakemake, main)
