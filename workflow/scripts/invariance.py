"""Mean cosine similarity of a network state's kernel features of x and T(x), per family of transforms."""

import torch

from ntkrepro import io, models
from ntkrepro.data import Dataset
from ntkrepro.invariance import feature_invariance
from ntkrepro.workflow import run


def main(snakemake, log):
    selection = io.load_torch(snakemake.input.samples) if snakemake.input.samples else None
    x, _ = Dataset.load(snakemake.input.data).select(snakemake.wildcards.split, selection)
    x = x[: snakemake.params.invariance["samples"]]
    model, _ = models.load_model(snakemake.params.model)
    k = snakemake.params.kernel_settings
    values = feature_invariance(model, x, **snakemake.params.kernel, device=snakemake.params.compute["device"],
                                dtype=getattr(torch, k["dtype"]), allow_tf32=k["allow_tf32"])
    log.info(", ".join(f"{family} {v:.4f}" for family, v in values.items()) + f" over {len(x)} samples")
    io.write_csv({"family": list(values), "invariance": list(values.values())}, snakemake.output[0])


run(snakemake, main)
