"""CIFAR2 labels (classes 0-4 vs 5-9), optionally on a stratified subset of the training split."""

from ntkrepro import io, tasks
from ntkrepro.data import Dataset
from ntkrepro.workflow import run


def main(snakemake, log):
    data = Dataset.load(snakemake.input.dataset)
    size, seed = snakemake.params.size, snakemake.params.seed
    task = tasks.cifar2_task(data.y_train, data.y_test, size=size, seed=seed)
    n = len(task["y_train"])
    log.info(f"CIFAR2 of {data.name}: {n} training samples ({int((task['y_train'] > 0).sum())} positive)")
    io.save_torch(task, snakemake.output[0])


run(snakemake, main)
