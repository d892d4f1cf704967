"""The kernel of a saved network state on the samples of a task, streamed to HDF5."""

from ntkrepro import infinite, io, ntk, rebuild, resume
from ntkrepro.data import Dataset
from ntkrepro.pipeline import kernel_kinds
from ntkrepro.workflow import config_keys, run


def main(snakemake, log):
    resume.exit_on_sigterm()
    k = snakemake.params.kernel
    model_file = getattr(snakemake.params, "model", None) or snakemake.input.model
    model, _ = rebuild.load_checkpoint(model_file)
    task = io.load_torch(snakemake.input.samples) if snakemake.input.samples else None
    x, ids = Dataset.load(snakemake.input.data).select(snakemake.wildcards.split, task)
    meta = {"model_file": str(model_file), "samples": snakemake.wildcards.samples,
            "split": snakemake.wildcards.split, "model_spec": model.spec}
    arguments = kernel_kinds.engine_arguments(k, **snakemake.params.kind, device=snakemake.params.compute["device"])
    if snakemake.wildcards.kernel in kernel_kinds.INFINITE:
        info = infinite.write_kernel(infinite.of_model(model), x, snakemake.output[0],
                                     get=kernel_kinds.INFINITE[snakemake.wildcards.kernel],
                                     device=arguments["device"], memory_bytes=arguments["memory_bytes"],
                                     meta=meta, sample_ids=ids.numpy())
    else:
        with config_keys(memory_bytes="kernel.memory_gb", device="compute.device"):
            info = ntk.write_gram(model, x, snakemake.output[0], **arguments, meta=meta, sample_ids=ids.numpy())
    log.info(f"wrote {snakemake.output[0]}: {info['m']}x{info['m']} in {info['seconds_this_run']:.1f} s")


run(snakemake, main)
