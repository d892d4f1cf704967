"""One style for every figure; each ``figN`` function draws a figure from its table alone."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
        fig.suptitle(title)
        fig.tight_layout()
    return fig
