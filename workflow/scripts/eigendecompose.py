"""Top-K eigenpairs of a Gram matrix."""

import time

import numpy as np

from ntkrepro import ntk, spectra
from ntkrepro.workflow import run


def main(snakemake, log):
    s = snakemake.params.spectrum
    K = ntk.read_gram(snakemake.input[0], dtype=np.dtype(s["dtype"]))
    spectra.check_gram(K, name=snakemake.input[0])
    t0 = time.monotonic()
    log.info(f"eigendecomposing a {K.shape[0]}x{K.shape[0]} matrix: top {s['k']} ({s['dtype']}, device {s['device']})")
    values, vectors = spectra.eigendecompose(K, s["k"], device=s["device"], dtype=np.dtype(s["dtype"]), overwrite=True)
    seconds = time.monotonic() - t0
    log.info(f"done in {seconds:.1f} s; λ_1 = {values[0]:.4g}, λ_{s['k']} = {values[-1]:.4g}")
    spectra.write_spectrum(values, vectors, snakemake.output[0], {"gram": snakemake.input[0], "seconds": seconds, **s})


run(snakemake, main)
