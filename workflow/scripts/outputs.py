"""The outputs f(x) of a saved network state on the samples of a task, in float64."""

import torch

from ntkrepro import io, rebuild
from ntkrepro.data import Dataset
from ntkrepro.workflow import run

BATCH = 1024  # samples per forward pass, so that memory does not grow with the dataset


def main(snakemake, log):
    model, _ = rebuild.load_checkpoint(snakemake.params.model)
    task = io.load_torch(snakemake.input.samples) if snakemake.input.samples else None
    x, ids = Dataset.load(snakemake.input.data).select(snakemake.wildcards.split, task)
    model = model.eval().double()
    with torch.no_grad():
        f = torch.cat([model(x[i : i + BATCH].double()) for i in range(0, len(x), BATCH)])
    io.save_torch({"outputs": f, "sample_ids": ids}, snakemake.output[0])
    log.info(f"wrote {snakemake.output[0]}: outputs {tuple(f.shape)} of {snakemake.params.model}")


run(snakemake, main)
