"""Top-K eigenpairs of a Gram matrix."""

import time

import numpy as np

from ntkrepro import ntk, spectra
from ntkrepro.progress import format_seconds
from ntkrepro.workflow import config_keys, run


def main(snakemake, log):
    s = snakemake.params.spectrum
    dtype = np.dtype(s["dtype"])
    K = ntk.read_gram(snakemake.input[0], dtype=dtype, kernel=None, outputs=None, sample_major=True)
    gram_meta = ntk.gram_meta(snakemake.input[0])
    spectra.check_gram(K, source_dtype=gram_meta["dtype"], name=snakemake.input[0])  # rounding of the stored matrix
    trace = float(np.trace(K))
    k = min(s["k"], K.shape[0])
    if k < s["k"]:
        log.info(f"spectrum.k = {s['k']} exceeds the {K.shape[0]} samples of this matrix: keeping all {k}")
    estimate = spectra.estimate_seconds(K.shape[0], device=s["device"])
    log.info(
        f"eigendecomposing a {K.shape[0]}x{K.shape[0]} matrix: top {k} ({s['dtype']}, device {s['device']}), "
        f"expected to take about {format_seconds(estimate)}"
    )
    t0 = time.monotonic()
    with config_keys(device="spectrum.device"):
        values, vectors = spectra.eigendecompose(K, k, device=s["device"], dtype=dtype, overwrite=True)
    seconds = time.monotonic() - t0
    floor, first = spectra.noise_floor(values, trace, gram_meta["dtype"])
    log.info(f"done in {seconds:.1f} s; λ_1 = {values[0]:.4g}, λ_{k} = {values[-1]:.4g}; eigenvectors are noise below "
             f"λ_j/λ_1 = {floor:.2g} ({'from j = ' + str(first) if first else f'none of the {k}'}, {gram_meta['dtype']} Gram)")
    meta = {"gram": snakemake.input[0], "gram_fingerprint": gram_meta["fingerprint"], "seconds": seconds,
            "gram_dtype": gram_meta["dtype"], "noise_floor_ratio": floor, "noise_floor_index": first, **s}
    spectra.write_spectrum(values, vectors, snakemake.output[0], meta)


run(snakemake, main)
