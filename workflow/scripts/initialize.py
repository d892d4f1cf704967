"""Draw θ0 for an architecture and seed; every later stage starts from this one file."""

from ntkrepro import models
from ntkrepro.workflow import run


def main(snakemake, log):
    p = snakemake.params.model
    model = models.build_model(p["arch"], tuple(p["input_shape"]), p["options"])
    models.initialize(model, p["init"], p["seed"])
    n = models.parameter_count(model)
    log.info(f"{p['arch']} {p['options']} on inputs {p['input_shape']}: {n:,} parameters, {p['init']} init, seed {p['seed']}")
    models.save_model(model, snakemake.output[0], seed=p["seed"], scheme=p["init"])


run(snakemake, main)
