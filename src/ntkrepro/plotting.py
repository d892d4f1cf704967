"""One style for every figure; each ``figN`` function draws a figure from its table alone."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import textwrap  # noqa: E402

from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402

from . import io  # noqa: E402

STYLE = {
    "figure.figsize": (7.0, 3.0),
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
}
TARGET_COLOR = "#d62728"
BASE_COLOR = "#1f77b4"


def wrap(title: str, width: int = 90) -> str:
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


def plain_log_axis(axis) -> None:
    """A log-scaled axis labelled with plain numbers (1, 10, 100), no minor labels."""
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    axis.set_major_formatter(formatter)
    axis.set_minor_formatter(NullFormatter())


def save(fig, path: str | Path, dpi: int) -> None:
    """Save atomically; PDF metadata carries no date, so the same data gives the same file."""
    suffix = Path(path).suffix.lstrip(".")
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix, dpi=dpi, metadata={"CreationDate": None} if suffix == "pdf" else None)
    plt.close(fig)


def fig7(table: dict, title: str):
    """Alignment α_t(φ_j) of the NTK eigenfunctions at initialization, before and after training."""
    j = table["index"]
    target = table["is_target"] == 1
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, sharey=True)
        for ax, column, name in zip(axes, ["alpha_init", "alpha_trained"], ["Before training", "After training"]):
            ax.semilogy(j[~target], table[column][~target], ".", ms=2, color=BASE_COLOR, label=r"$\phi_j$, $j\neq$ target")
            ax.semilogy(j[target], table[column][target], "*", ms=11, color=TARGET_COLOR,
                        label=rf"target $\phi_{{{int(j[target][0])}}}$" if target.any() else None)
            ax.set_title(name)
            ax.set_xlabel("eigenfunction index $j$")
        axes[0].set_ylabel(r"alignment $\alpha_t(\phi_j)$")
        axes[1].legend(loc="lower left", frameon=False)
        fig.suptitle(wrap(title))
        fig.tight_layout()
    return fig


MODEL_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
KIND_STYLE = {"network": "-", "linearized": "--"}


def _color(models: list, model: str) -> str:
    return MODEL_COLORS[list(models).index(model) % len(MODEL_COLORS)]


def _models(table: dict) -> list:
    return list(dict.fromkeys(table["model"].tolist()))


def fig2(table: dict, title: str):
    """Test accuracy vs eigenfunction index j, network (solid) and linearization (dashed); CIFAR2 dotted."""
    models = _models(table)
    eig = table["task"] == "eigenfunction"
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        for model in models:
            c = _color(models, model)
            for kind, style in KIND_STYLE.items():
                rows = eig & (table["model"] == model) & (table["kind"] == kind)
                order = np.argsort(table["index"][rows])
                ax.plot(table["index"][rows][order], table["test_accuracy"][rows][order], style, marker="o", ms=3,
                        color=c, label=f"{model} ({kind})")
                base = (table["task"] == "cifar2") & (table["model"] == model) & (table["kind"] == kind)
                if base.any():
                    ax.axhline(table["test_accuracy"][base][0], color=c, ls=":" if kind == "network" else "-.", lw=0.8)
        ax.set_xscale("log")
        plain_log_axis(ax.xaxis)
        ax.set_xlabel(r"eigenfunction index $j$ (target sign$(\phi_j)$)")
        ax.set_ylabel("test accuracy")
        ax.set_title(wrap(title, 70))
        ax.legend(fontsize=7, frameon=False, ncol=2)
        ax.text(0.0, -0.22, "horizontal lines: CIFAR2 (classes 0-4 vs 5-9), dotted network, dash-dot linearized",
                transform=ax.transAxes, fontsize=7)
    return fig


def fig3(table: dict, title: str):
    """Iterations to the training-loss threshold, ℓ2 and cosine distance to θ0, vs eigenfunction index."""
    j = table["index"]
    order = np.argsort(j)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
        for ax, col, label in zip(axes, ["iterations_to_threshold", "distance_l2", "distance_cosine"],
                                  ["iterations to loss threshold", r"$\|\theta_T-\theta_0\|_2$",
                                   r"$1-\cos(\theta_T,\theta_0)$"]):
            ax.plot(j[order], table[col][order], "o-", ms=3, color=BASE_COLOR)
            ax.set_xscale("log")
            plain_log_axis(ax.xaxis)
            ax.set_xlabel("eigenfunction index $j$")
            ax.set_ylabel(label)
        fig.suptitle(wrap(title))
        fig.tight_layout()
    return fig


def fig4(table: dict, title: str):
    """Left: accuracy on sign(v_jᵀx) per NAD index, network vs linearized. Right: α(g_{v_j}) = σ_j²."""
    models = _models(table)
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
        for model in models:
            c = _color(models, model)
            rows = table["model"] == model
            trained = rows & np.isfinite(table["network_accuracy"])
            left.plot(table["index"][trained], table["network_accuracy"][trained], "-o", ms=3, color=c, label=f"{model} (network)")
            left.plot(table["index"][trained], table["linearized_accuracy"][trained], "--o", ms=3, color=c,
                      label=f"{model} (linearized)")
            right.semilogy(table["index"][rows], table["alignment"][rows], "-", color=c, label=model)
        left.set_xscale("log")
        plain_log_axis(left.xaxis)
        left.set_xlabel("NAD index $j$ (target sign$(v_j^T x)$)")
        left.set_ylabel("test accuracy")
        left.legend(fontsize=7, frameon=False)
        right.set_xlabel("NAD index $j$")
        right.set_ylabel(r"$\alpha(g_{v_j}) = \sigma_j^2$")
        right.legend(fontsize=7, frameon=False)
        fig.suptitle(wrap(title))
        fig.tight_layout()
    return fig


def fig5(table: dict, title: str):
    """CIFAR2 test accuracy (top) and ‖θ−θ0‖ (bottom) vs training-set size; mean ± std over seeds."""
    models = _models(table)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, len(models), figsize=(3 * len(models), 4.6), squeeze=False, sharex=True)
        for col, model in enumerate(models):
            for kind, style in KIND_STYLE.items():
                rows = (table["model"] == model) & (table["kind"] == kind)
                sizes = np.unique(table["size"][rows])
                for row, metric in enumerate(["test_accuracy", "distance_l2"]):
                    values = [table[metric][rows & (table["size"] == n)] for n in sizes]
                    mean = np.array([np.mean(v) for v in values])
                    std = np.array([np.std(v) for v in values])
                    ax = axes[row, col]
                    ax.plot(sizes, mean, style, marker="o", ms=3, color=_color(models, model), label=kind)
                    ax.fill_between(sizes, mean - std, mean + std, color=_color(models, model), alpha=0.15)
            axes[0, col].set_title(model)
            axes[1, col].set_xlabel("training-set size")
            axes[1, col].set_xscale("log")
            plain_log_axis(axes[1, col].xaxis)
        axes[0, 0].set_ylabel("test accuracy")
        axes[1, 0].set_ylabel(r"$\|\theta-\theta_0\|_2$")
        axes[0, 0].legend(fontsize=7, frameon=False)
        fig.suptitle(wrap(title))
        fig.tight_layout()
    return fig


def fig6(table: dict, title: str):
    """Energy concentration ‖Φ_t y‖/‖y‖ of the training labels on the top-K eigenvectors of Θ_t."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(4.5, 3))
        ax.plot(table["epoch"], table["energy_concentration"], "o-", ms=3, color=BASE_COLOR)
        ax.set_xscale("symlog", linthresh=1)
        plain_log_axis(ax.xaxis)
        ax.set_xlabel("epoch $t$")
        ax.set_ylabel(r"$\|\Phi_t y\|_2 / \|y\|_2$")
        ax.set_title(wrap(title, 70))
    return fig


def fig8(table: dict, title: str):
    """Training loss (left) and test accuracy (right) per epoch for the network and two linearizations."""
    names = list(dict.fromkeys(table["model"].tolist()))
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
        for i, name in enumerate(names):
            rows = table["model"] == name
            c = MODEL_COLORS[i % len(MODEL_COLORS)]
            left.semilogy(table["epoch"][rows], table["train_loss"][rows], "-", color=c, label=name)
            right.plot(table["epoch"][rows], table["test_accuracy"][rows], "-", color=c, label=name)
        left.set_xlabel("epoch")
        left.set_ylabel("training loss")
        right.set_xlabel("epoch")
        right.set_ylabel("test accuracy")
        left.legend(fontsize=7, frameon=False)
        fig.suptitle(wrap(title))
        fig.tight_layout()
    return fig


def fig9(table: dict, title: str):
    """Test accuracy of linearizations around θ_e vs pretraining epochs e; the network dashed."""
    lin = table["kind"] == "linearized"
    order = np.argsort(table["pretraining_epochs"][lin])
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(4.5, 3))
        ax.plot(table["pretraining_epochs"][lin][order], table["test_accuracy"][lin][order], "o-", ms=3,
                color=BASE_COLOR, label=r"linearized around $\theta_e$")
        net = table["kind"] == "network"
        if net.any():
            ax.axhline(table["test_accuracy"][net][0], ls="--", color="k", lw=1, label="network")
        ax.set_xscale("symlog", linthresh=1)
        plain_log_axis(ax.xaxis)
        ax.set_xlabel("pretraining epochs $e$")
        ax.set_ylabel("test accuracy")
        ax.legend(fontsize=7, frameon=False)
        ax.set_title(wrap(title, 70))
    return fig


FIGURES = {"2": fig2, "3": fig3, "4": fig4, "5": fig5, "6": fig6, "7": fig7, "8": fig8, "9": fig9}
