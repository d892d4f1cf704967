"""Train a network, or a linearization of it, on a task; keep checkpoints and per-epoch metrics."""

from pathlib import Path

from ntkrepro import io, models, train
from ntkrepro.linearize import Linearized
from ntkrepro.workflow import device, run


def starting_model(snakemake):
    """The network at θ0, or its linearization around θ0 or around a checkpoint of the network run."""
    lin = snakemake.params.linearization
    if lin["kind"] == "network":
        return models.load_model(snakemake.input.theta0)[0]
    if lin["kind"] == "linearized":
        return Linearized(models.load_model(snakemake.input.theta0)[0], offset=lin["offset"])
    center, _ = models.load_model(Path(snakemake.input.checkpoints) / f"epoch{lin['center_epoch']}.pt")
    if lin["batchnorm_stats"] == "init":
        models.reset_batchnorm_statistics(center)
    return Linearized(center, offset=lin["offset"])


def main(snakemake, log):
    settings = train.Settings(**snakemake.params.train)
    data, task = io.load_torch(snakemake.input.data), io.load_torch(snakemake.input.task)
    idx = task.get("train_indices")
    x_train = data["x_train"] if idx is None else data["x_train"][idx]
    model = starting_model(snakemake)
    log.info(f"{snakemake.params.linearization}: {len(x_train)} training samples, {len(data['x_test'])} test samples")
    out = Path(snakemake.output.checkpoints)
    history, steps = train.train(
        model,
        models.save_model,
        x_train,
        task["y_train"],
        data["x_test"],
        task["y_test"],
        settings,
        checkpoint_paths={e: out / f"epoch{e}.pt" for e in settings.checkpoints},
        resume_dir=Path(snakemake.params.resume),
        device=device(snakemake.params.compute["device"]),
    )
    io.write_csv({k: [h[k] for h in history] for k in history[0]}, snakemake.output.metrics)
    io.write_csv({k: [s[k] for s in steps] for k in steps[0]}, snakemake.output.steps)
    io.remove_tree(snakemake.params.resume)


run(snakemake, main)
