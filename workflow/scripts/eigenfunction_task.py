"""Labels sign(φ_j(x)) from the eigenvectors of the Gram matrix at initialization."""

from ntkrepro import io, spectra, tasks
from ntkrepro.workflow import run


def main(snakemake, log):
    j = int(snakemake.wildcards.index)  # 1-based, as in the paper's text
    _, vectors = spectra.read_spectrum(snakemake.input.spectrum, k=j)
    task = tasks.eigenfunction_task(vectors[j - 1], snakemake.params.n_train)
    log.info(f"sign(φ_{j}): {int((task['y_train'] > 0).sum())}/{len(task['y_train'])} positive training labels")
    io.save_torch({**task, "name": f"eigenfunction{j}"}, snakemake.output[0])


run(snakemake, main)
