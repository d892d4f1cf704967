"""Figure 6: energy concentration ‖Φ_t y‖/‖y‖ of CIFAR2 training labels y on the first K eigenvectors
Φ_t of the NTK Gram matrix after t epochs of training."""

import matplotlib.pyplot as plt
import numpy as np

from ... import analysis, io, plotting, spectra, tasks
from ...claims import Claim, check
from ...errors import ConfigError
from ...pipeline import Kernel, Needs, Spectrum, TaskFile
from .common import EPOCHS, MODEL, check_epochs

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["model", "epochs"],
    "properties": {
        "model": MODEL,
        "n_train": {"type": ["integer", "null"], "minimum": 1, "default": None},
        "k": {"type": "integer", "minimum": 1, "default": 50},
        "epochs": EPOCHS,
    },
}


def needs(ctx) -> Needs:
    s = ctx.section
    n_train, _ = ctx.sizes()
    n = s["n_train"] or n_train
    key = f"config key '{ctx.paper_key}.{ctx.key}"
    if n > n_train:
        raise ConfigError(f"{key}.n_train': {n} exceeds the {n_train} training samples")
    if s["k"] > n:
        raise ConfigError(f"{key}.k': {s['k']} eigenvectors of a {n}-sample Gram matrix")
    check_epochs(ctx, "epochs", s["epochs"])
    task = "cifar2" if s["n_train"] is None else f"cifar2-n{s['n_train']}"
    run = ctx.run(task, s["model"])
    epochs = sorted(s["epochs"])
    spectra_ = [({"epoch": e}, Spectrum(Kernel(ctx.state(s["model"], run=run, epoch=e), tasks.sample_source(task), "train")))
                for e in epochs]
    labels = [({}, TaskFile(run.dataset, task, run.model, run.seed))]
    return Needs({"task": labels, "spectra": spectra_}, {"k": s["k"]})


def title(ctx) -> str:
    s = ctx.section
    n = s["n_train"] or ctx.sizes()[0]
    return f"{s['model']}: CIFAR2 labels of {n:,} training samples of {ctx.dataset} on the top {s['k']} eigenvectors of Θ_t"


def caption(ctx) -> str:
    s = ctx.section
    return (
        f"**Figure 6.** Energy concentration ‖Φ_t y‖₂/‖y‖₂ of the CIFAR2 training labels y on the first {s['k']} "
        f"eigenvectors Φ_t of the NTK Gram matrix of a {s['model']} after t epochs. The paper's claim: it grows "
        "during training. Scorecard: Figure 6 line."
    )


def table(inputs, params) -> dict:
    ((_, task_file),) = inputs["task"]
    y = io.load_torch(task_file)["y_train"].numpy().astype(np.float64)
    epochs, values = [], []
    for label, path in inputs["spectra"]:
        _, phi = spectra.read_spectrum(path, k=params["k"])
        epochs.append(label["epoch"])
        values.append(float(np.sqrt(analysis.cumulative_power(phi, y)[-1])))  # ‖Φ_t y‖/‖y‖
    return {"epoch": epochs, "energy_concentration": values}


@plotting.styled
def plot(table, title):
    fig, ax = plt.subplots(figsize=(4.5, 3), layout="constrained")
    ax.plot(table["epoch"], table["energy_concentration"], "o-", ms=3, color=plotting.BASE_COLOR)
    plotting.epoch_axis(ax, table["epoch"])
    ax.set_xlabel("epoch $t$")
    ax.set_ylabel(r"$\|\Phi_t y\|_2 / \|y\|_2$")
    ax.set_title(title)
    return fig


def claims(t) -> list[Claim]:
    order = np.argsort(t["epoch"])
    ec = t["energy_concentration"][order]
    ratio = float(ec[-1] / ec[0]) if len(ec) > 1 and ec[0] > 0 else float("nan")
    return [Claim("Training concentrates the labels' energy on the first K eigenvectors of the NTK.",
                  "energy concentration at the last checkpoint / at initialization; holds if > 1",
                  ratio, check(ratio, lambda v: v > 1))]
