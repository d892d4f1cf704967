"""A task labelled from the dataset's classes (CIFAR2, class pairs, one-vs-rest, ...), optionally on a
class-stratified subset of its training samples drawn with the run's seed."""

from ntkrepro import io, tasks
from ntkrepro.data import Dataset
from ntkrepro.workflow import run


def main(snakemake, log):
    data = Dataset.load(snakemake.input.data)
    task = tasks.build(snakemake.wildcards.task, data.y_train, data.y_test, seed=snakemake.params.seed)
    n = len(task["y_train"])
    log.info(f"{task['name']} of {data.name}: {n} training and {len(task['y_test'])} test samples, {task['outputs']} output(s)")
    io.save_torch(task, snakemake.output[0])


run(snakemake, main)
