"""A hard-margin SVM on a kernel of a task's training samples, evaluated on its test samples."""

import numpy as np

from ntkrepro import fits, io, ntk
from ntkrepro.workflow import run


def main(snakemake, log):
    task = io.load_torch(snakemake.input.labels)
    y_train, y_test = task["y_train"].numpy().astype(np.float64), task["y_test"].numpy().astype(np.float64)
    K = ntk.read_gram(snakemake.input.kernel, kernel=None)
    n = len(y_train)
    if K.shape != (n + len(y_test),) * 2:
        raise ValueError(f"{snakemake.input.kernel} is {K.shape[0]}x{K.shape[0]}: not the {n} + {len(y_test)} samples of "
                         f"{task['name']}")
    s = snakemake.params.svm
    svm = fits.hard_margin_svm(K[:n, :n], y_train, solver=s["solver"], tol=s["tol"], iterations=s["iterations"])
    test_error = float(np.mean(svm.predict(K[n:, :n]) != y_test))
    log.info(f"{s['solver']}: margin {svm.margin:.4g} (gap {svm.gap:.2g}), train error {svm.training_error:.4f}, "
             f"test error {test_error:.4f}, {svm.iterations} iterations")
    io.write_csv({"test_error": [test_error], "train_error": [svm.training_error], "margin": [svm.margin],
                  "gap": [svm.gap], "converged": [int(svm.converged)], "iterations": [svm.iterations],
                  "solver": [svm.solver]}, snakemake.output[0])


run(snakemake, main)
