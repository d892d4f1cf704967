"""Labels sign(φ_j(x)) from the eigenvectors of the Gram matrix at initialization."""

from ntkrepro import io, spectra, tasks
from ntkrepro.data import Dataset
from ntkrepro.workflow import run


def main(snakemake, log):
    j = int(snakemake.wildcards.index)  # 1-based, as in the paper's text
    values, vectors = spectra.read_spectrum(snakemake.input.spectrum, k=j)
    spectra.check_above_noise_floor(spectra.spectrum_meta(snakemake.input.spectrum), values, j, snakemake.params.origins)
    n_train = Dataset.load(snakemake.input.data).n_train  # the eigenvectors run over train, then test
    task = tasks.eigenfunction_task(vectors[j - 1], n_train, f"eigenfunction{j}")
    log.info(f"sign(φ_{j}): {int((task['y_train'] > 0).sum())}/{len(task['y_train'])} positive training labels")
    io.save_torch(task, snakemake.output[0])


run(snakemake, main)
