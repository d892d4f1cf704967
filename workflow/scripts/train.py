"""Train a network, or a linearization of it, on a task with a recipe; keep checkpoints and metrics."""

from pathlib import Path

from ntkrepro import io, models, rebuild, resume, training
from ntkrepro.linearize import Linearized, materialize_if_faster, with_batchnorm_statistics
from ntkrepro.training import checkpoint_name
from ntkrepro.workflow import run


def starting_model(snakemake, x_train, x_test, log):
    """The network at θ0, or its linearization around θ0 or around a checkpoint of the network run."""
    form = snakemake.params.form
    if form["form"] == "network":
        return models.load_model(snakemake.input.theta0)[0]
    if form["form"] == "linearized":
        center, _ = models.load_model(snakemake.input.theta0)
    else:
        center, _ = rebuild.load_checkpoint(Path(snakemake.input.checkpoints) / checkpoint_name(form["center_epoch"]))
    model = Linearized(with_batchnorm_statistics(center, form["batchnorm_stats"], x_train), offset=form["offset"])
    log.info(materialize_if_faster(model, x_train, x_test, max_gb=form["jacobian_gb"],
                                   min_flops_per_entry=form["jacobian_flops_per_entry"]))
    return model


def split(data: dict, task: dict, name: str):
    """The inputs and labels of one split, restricted to the task's samples when it keeps only some."""
    idx = task.get(f"{name}_indices")
    x = data[f"x_{name}"]
    return (x if idx is None else x[idx]), task[f"y_{name}"]


def main(snakemake, log):
    resume.exit_on_sigterm()
    # held until the resume folder is removed, so no second job resumes a run this one is finishing
    with resume.exclusive(snakemake.params.resume):
        train(snakemake, log)


def train(snakemake, log):
    recipe = training.Recipe(**snakemake.params.recipe)
    data, task = io.load_torch(snakemake.input.data), io.load_torch(snakemake.input.task)
    x_train, y_train = split(data, task, "train")
    x_test, y_test = split(data, task, "test")
    model = starting_model(snakemake, x_train, x_test, log)
    log.info(f"{snakemake.params.form}: {len(x_train)} training samples, {len(x_test)} test samples")
    out = Path(snakemake.output.checkpoints)
    result = training.train(
        model, models.save_model, x_train, y_train, x_test, y_test, recipe,
        checkpoint_paths={e: out / checkpoint_name(e) for e in recipe.checkpoints},
        resume_dir=Path(snakemake.params.resume),
        device=snakemake.params.compute["device"],
    )
    if result.resumed_from:
        log.info(f"resumed after epoch {result.resumed_from}; trained epochs {result.resumed_from + 1}..{result.final_epoch}")
    io.write_csv({k: [h[k] for h in result.history] for k in result.history[0]}, snakemake.output.metrics)
    io.write_csv({k: [s[k] for s in result.steps] for k in result.steps[0]}, snakemake.output.steps)
    io.remove_tree(snakemake.params.resume)


run(snakemake, main)
