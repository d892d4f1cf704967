"""The linearly separable task along one neural anisotropy direction v_j (with its Gaussian inputs)."""

from ntkrepro import nads
from ntkrepro.workflow import run


def main(snakemake, log):
    j = int(snakemake.wildcards.index)
    _, directions = nads.read(snakemake.input.nads)
    p = snakemake.params.inputs
    task = nads.linearly_separable(
        directions[j - 1], snakemake.params.input_shape, n_train=p["n_train"], n_test=p["n_test"],
        epsilon=p["epsilon"], sigma=p["sigma"], seed=snakemake.params.seed * 1000 + j,
    )
    log.info(f"sign(v_{j}ᵀx): {task.n_train} + {task.n_test} samples of shape {task.input_shape}")
    task.save(snakemake.output[0])


run(snakemake, main)
