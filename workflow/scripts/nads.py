"""Neural anisotropy directions of a network at θ0 and their NTK alignments σ_j²."""

import time

from ntkrepro import models, nads
from ntkrepro.workflow import run


def main(snakemake, log):
    model, _ = models.load_model(snakemake.input.model)
    shape, samples = snakemake.params.input_shape, snakemake.params.samples
    where = "x = 0 (the authors' code)" if samples == 0 else f"{samples} draws of x ~ N(0, I)"
    log.info(f"A = E_x ∇²_(x,θ) f(x; θ0) over {where}, inputs of shape {shape}")
    t0 = time.monotonic()
    gram = nads.mixed_derivative_gram(model, shape, samples=samples, seed=snakemake.params.seed,
                                      device=snakemake.params.compute["device"])
    values, vectors = nads.directions(gram)
    log.info(f"done in {time.monotonic() - t0:.1f} s; σ_1² = {values[0]:.4g}, σ_d² = {values[-1]:.4g}")
    nads.write(values, vectors, snakemake.output[0], {"samples": samples, "input_shape": list(shape)})


run(snakemake, main)
