"""Every eigenvalue of a kernel (float64), in decreasing order."""

import numpy as np
import scipy.linalg

from ntkrepro import io, ntk
from ntkrepro.workflow import run


def main(snakemake, log):
    K = ntk.read_gram(snakemake.input[0], kernel=None, outputs=None, sample_major=True)
    values = scipy.linalg.eigvalsh(K, overwrite_a=True, check_finite=False)[::-1]
    log.info(f"{len(values)} eigenvalues: λ_1 = {values[0]:.4g}, λ_min = {values[-1]:.4g}")
    io.write_csv({"index": np.arange(1, len(values) + 1), "eigenvalue": values}, snakemake.output[0])


run(snakemake, main)
