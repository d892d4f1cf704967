"""Read (or download) the configured dataset, normalize it and save the tensors."""

from ntkrepro import data
from ntkrepro.workflow import run


def main(snakemake, log):
    config = {**snakemake.params.dataset, **snakemake.params.source}
    dataset = data.prepare(config)
    log.info(
        f"{dataset.name}: {dataset.n_train} train + {dataset.n_test} test samples of shape {dataset.input_shape}, "
        f"per-channel mean {[round(m, 4) for m in dataset.mean]}, std {[round(s, 4) for s in dataset.std]}"
    )
    dataset.save(snakemake.output.data)
    data.write_source_record(config, snakemake.output.source)


run(snakemake, main)
