"""Labels sign(φ_j(x)) from the eigenvectors of the Gram matrix at initialization."""

from ntkrepro import io, spectra, tasks
from ntkrepro.errors import NumericalError
from ntkrepro.data import Dataset
from ntkrepro.workflow import run


def main(snakemake, log):
    j = int(snakemake.wildcards.index)  # 1-based, as in the paper's text
    values, vectors = spectra.read_spectrum(snakemake.input.spectrum, k=j)
    meta = spectra.spectrum_meta(snakemake.input.spectrum)
    first = meta.get("noise_floor_index")
    if first is not None and j >= first:
        keys = ", ".join(snakemake.params.origins) or "its figure's settings"
        raise NumericalError(
            f"config key {keys}: eigenfunction {j} is below the numerical noise floor of its Gram matrix "
            f"(λ_{j}/λ_1 = {values[j - 1] / values[0]:.2g} < {meta['noise_floor_ratio']:.2g}, {meta['gram_dtype']} Gram matrix): "
            f"its sign labels would be rounding noise; use an index below {first}, or kernel.dtype: float64"
        )
    n_train = Dataset.load(snakemake.input.data).n_train  # the eigenvectors run over train, then test
    task = tasks.eigenfunction_task(vectors[j - 1], n_train, f"eigenfunction{j}")
    log.info(f"sign(φ_{j}): {int((task['y_train'] > 0).sum())}/{len(task['y_train'])} positive training labels")
    io.save_torch(task, snakemake.output[0])


run(snakemake, main)
