"""Energy concentration ‖Φ_t y‖/‖y‖ of a run's training labels on the top-K eigenvectors of Θ_t."""

import numpy as np

from ntkrepro import io, spectra
from ntkrepro.workflow import run


def main(snakemake, log):
    y = io.load_torch(snakemake.input.task)["y_train"].numpy().astype(np.float64)
    k = snakemake.params.k
    values = []
    for epoch, path in zip(snakemake.params.epochs, snakemake.input.spectra):
        _, phi = spectra.read_spectrum(path, k=k)
        values.append(spectra.energy_concentration(phi, y))
        log.info(f"epoch {epoch}: {values[-1]:.4f}")
    io.write_csv({"epoch": snakemake.params.epochs, "energy_concentration": values}, snakemake.output[0])


run(snakemake, main)
