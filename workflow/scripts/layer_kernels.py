"""The layer kernels of a saved network state on the samples of a task, from one pass, in one file."""

import torch

from ntkrepro import io, rebuild
from ntkrepro.data import Dataset
from ntkrepro.ntk import probes
from ntkrepro.workflow import run


def main(snakemake, log):
    probe = snakemake.params.probe
    model_file = snakemake.params.model
    model, _ = rebuild.load_checkpoint(model_file)
    task = io.load_torch(snakemake.input.samples) if snakemake.input.samples else None
    data = Dataset.load(snakemake.input.data)
    x, ids = data.select(snakemake.wildcards.split, task)
    labels = torch.cat([data.y_train, data.y_test])[ids]
    kernels = probes.layer_kernels(model, x, probe["modules"], pooling=probe["pooling"])
    probes.write_layer_kernels(
        snakemake.output[0], kernels,
        meta={"model_file": str(model_file), "samples": snakemake.wildcards.samples,
              "split": snakemake.wildcards.split, "n_train": int((ids < data.n_train).sum()), **probe},
        arrays={"labels": labels.numpy(), "sample_ids": ids.numpy()},
        dtype=snakemake.params.dtype,
    )
    log.info(f"wrote {snakemake.output[0]}: {len(kernels)} kernels of {len(x)} samples")


run(snakemake, main)
