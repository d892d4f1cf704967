"""The linearized model of a network state solved exactly on a task: f(x) + K(x, X)α, K α = y − f(X)."""

import numpy as np
import torch

from ntkrepro import fits, io, ntk, rebuild, training
from ntkrepro.data import Dataset
from ntkrepro.workflow import run


def main(snakemake, log):
    task = io.load_torch(snakemake.input.labels)
    selection = io.load_torch(snakemake.input.samples) if snakemake.input.samples else None
    x, _ = Dataset.load(snakemake.input.data).select("all", selection)
    model, _ = rebuild.load_checkpoint(snakemake.params.model)
    with torch.no_grad():
        offsets = model.eval().double()(x.double()).numpy()
    K = ntk.read_gram(snakemake.input.kernel, kernel="ntk", outputs=None)
    y_train, y_test = task["y_train"], task["y_test"]
    targets = y_train.numpy() if y_train.dtype == torch.int8 else np.eye(offsets.shape[1])[y_train.numpy()]
    solve = fits.linearized_solve(K, offsets, targets, len(y_train), ridge=snakemake.params.regression["ridge"])
    train_acc = training.accuracy(torch.from_numpy(solve.train_predictions), y_train)
    test_acc = training.accuracy(torch.from_numpy(solve.test_predictions), y_test)
    log.info(f"rank {solve.fit.rank} of {len(solve.fit.dual_coef)}: train accuracy {train_acc:.4f}, test {test_acc:.4f}")
    io.write_csv({"train_accuracy": [train_acc], "test_accuracy": [test_acc], "rank": [solve.fit.rank or -1],
                  "ridge": [solve.fit.ridge]}, snakemake.output[0])


run(snakemake, main)
