"""Kernel measures of one network state on a task (ntkrepro.pipeline.Evaluation), as rows of
(measure, kind, quantity, value)."""

import numpy as np
import torch

from ntkrepro import analysis, fits, io, ntk, rebuild, training
from ntkrepro.data import Dataset
from ntkrepro.devices import resolve_device
from ntkrepro.invariance import feature_invariance
from ntkrepro.pipeline.kernel_kinds import engine_arguments
from ntkrepro.workflow import config_keys, run


@torch.no_grad()
def network_rows(model, x_train, y_train, x_test, y_test, device) -> list:
    """The network's own errors (sign of f against ±1 labels) and its logistic training loss,
    evaluated in one pass over the whole split (Long's ``evaluate``), not over mini-batches."""
    model = model.to(device).eval()

    def outputs(x):
        return torch.cat([model(x[s : s + 1024].to(device)).float().cpu() for s in range(0, len(x), 1024)])

    rows = []
    f_test = outputs(x_test)
    rows.append(("network", "", "test_error", 1.0 - training.accuracy(f_test, y_test)))
    if x_train is not None:
        f_train = outputs(x_train)
        rows.append(("network", "", "train_error", 1.0 - training.accuracy(f_train, y_train)))
        rows.append(("network", "", "train_loss", float(training.LOSSES["logistic"](f_train, y_train))))
    return rows


def svm_rows(kind: str, K: np.ndarray, n: int, y_train: np.ndarray, y_test: np.ndarray, settings: dict, log) -> list:
    svm = fits.hard_margin_svm(K[:n, :n], y_train, solver=settings["solver"], tol=settings["tol"],
                               iterations=settings["iterations"])
    test_error = float(np.mean(svm.predict(K[n:, :n]) != y_test))
    log.info(f"svm on {kind}: test error {test_error:.4f}, train error {svm.training_error:.4f}, margin "
             f"{svm.margin:.4g} (gap {svm.gap:.2g})")
    return [("svm", kind, q, v) for q, v in (("test_error", test_error), ("train_error", svm.training_error),
                                             ("margin", svm.margin), ("gap", svm.gap),
                                             ("converged", float(svm.converged)), ("iterations", float(svm.iterations)))]


def main(snakemake, log):
    p, w = snakemake.params, snakemake.wildcards
    task = io.load_torch(snakemake.input.labels)
    y_train = task["y_train"].numpy().astype(np.float64)
    y_test = task["y_test"].numpy().astype(np.float64)
    if task["outputs"] != 1:
        raise ValueError(f"an evaluation needs a binary (±1) task; {task['name']} has {task['outputs']} outputs")
    selection = io.load_torch(snakemake.input.samples) if snakemake.input.samples else None
    data = Dataset.load(snakemake.input.data)
    x_test, _ = data.select("test", selection)
    x_train = data.select("train", selection)[0] if w.split == "all" else None
    n = len(y_train) if w.split == "all" else 0
    K = ntk.read_gram(snakemake.input.kernel, kernel=None)
    if K.shape != (n + len(y_test),) * 2:
        raise ValueError(f"{snakemake.input.kernel} is {K.shape[0]}x{K.shape[0]}: not the {n} + {len(y_test)} samples "
                         f"of {task['name']} (split {w.split})")
    model, extra = rebuild.load_checkpoint(p.model)
    device = resolve_device(p.compute["device"])
    kind = w.kernel

    rows = [("state", "", "epoch", float(extra.get("epoch", 0)))]
    rows += network_rows(model, x_train, task["y_train"], x_test, task["y_test"], device)
    if w.split == "all":
        rows += svm_rows(kind, K, n, y_train, y_test, p.svm, log)
    x_all = x_test if x_train is None else torch.cat([x_train, x_test])
    for other in p.others:
        with config_keys(memory_bytes="kernel.memory_gb"):
            O = ntk.kernel(model, x_all, progress=False,
                           **engine_arguments(p.kernel_settings, other["kind"], other["outputs"], device=device))
        O = O.double().numpy()
        if w.split == "all":
            rows += svm_rows(other["name"], O, n, y_train, y_test, p.svm, log)
        a, b = K[n:, n:], O[n:, n:]
        values = {"alignment": analysis.alignment(a, b), "cka": analysis.cka(a, b)}
        log.info(f"{kind} ~ {other['name']} on {len(a)} test samples: alignment {values['alignment']:.4f}, "
                 f"CKA {values['cka']:.4f}")
        rows += [("alignment", other["name"], q, v) for q, v in values.items()]
    x_inv = x_test[: p.invariance["samples"]]
    invariance = feature_invariance(model, x_inv, **engine_arguments(p.kernel_settings, **p.kernel, device=device,
                                                                     tiled=False))
    log.info(", ".join(f"{family} {v:.4f}" for family, v in invariance.items()) + f" over {len(x_inv)} test samples")
    rows += [("invariance", kind, family, v) for family, v in invariance.items()]
    io.write_csv({name: [r[i] for r in rows] for i, name in enumerate(("measure", "kind", "quantity", "value"))},
                 snakemake.output[0])


run(snakemake, main)
