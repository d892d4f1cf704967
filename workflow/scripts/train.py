"""Train a network from θ0 on a task, keeping checkpoints and per-epoch metrics."""

from pathlib import Path

from ntkrepro import io, models, train
from ntkrepro.data import Dataset
from ntkrepro.workflow import device, run


def main(snakemake, log):
    p = dict(snakemake.params.train)
    settings = train.Settings(**p)
    dataset = Dataset.load(snakemake.input.dataset)
    task = io.load_torch(snakemake.input.task)
    model, _ = models.load_model(snakemake.input.theta0)
    out = Path(snakemake.output.checkpoints)

    def save_checkpoint(m, path, **extra):
        models.save_model(m, path, **extra)

    history, steps = train.train(
        model,
        save_checkpoint,
        dataset.x_train,
        task["y_train"],
        dataset.x_test,
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
