"""One style for every figure, and the drawing helpers figure modules share."""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
    "pdf.fonttype": 42,
}
TARGET_COLOR = "#d62728"
BASE_COLOR = "#1f77b4"


def wrap(title: str, width: int = 90) -> str:
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


def texts(fig) -> list[str]:
    """The figure's titles and axis labels, each on one line (as written, before wrapping)."""
    out = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return [" ".join(t.split("\n")) for t in out if t]


def characters(inches: float, fontsize: float) -> int:
    """How many characters of a font size fit in a length (a character is about 0.6 em wide)."""
    return max(12, int(inches * 72 / (0.6 * fontsize)))


def fit_texts(fig) -> None:
    """Wrap the suptitle to the figure's width, and each panel's title, x label and y label to its
    panel's width or height, so that constrained layout can keep them inside the canvas. A text with
    mathtext (``$...$``) stays as written: a break could fall inside it. A panel's height is taken at
    3/4 of its place before layout: the layout takes room from it for the titles and legends above and
    below it."""
    width, height = fig.get_size_inches()

    def fit(text, inches):
        words = text.get_text()
        if words and "$" not in words:
            text.set_text(wrap(words, characters(inches, text.get_fontsize())))

    if fig._suptitle is not None:
        fit(fig._suptitle, width)
    for ax in fig.axes:
        if ax.get_visible():
            box = ax.get_position()
            fit(ax.title, box.width * width)
            fit(ax.xaxis.label, box.width * width)
            fit(ax.yaxis.label, 0.75 * box.height * height)


def legend_below(fig, axes, fontsize: float = 6) -> None:
    """One legend for all ``axes`` below the figure (each label once, in order of appearance), in as
    many columns as the figure's width holds: never over a panel, never over another legend."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if not entries:
        return
    column = 0.6 * fontsize * max(map(len, entries)) + 3 * fontsize  # the label and its marker, in points
    ncol = max(1, min(len(entries), int(fig.get_figwidth() * 72 * 0.95 // column)))
    fig.legend(list(entries.values()), list(entries), fontsize=fontsize, frameon=False, ncol=ncol,
               loc="outside lower center")


def styled(plot):
    """A figure module's ``plot(table, title)`` drawn in STYLE with constrained layout, its texts
    fitted to the canvas: every figure gets its look and layout here, whoever calls it (the figure
    rule, docs/render_figures.py, a notebook)."""

    @functools.wraps(plot)
    def draw(table, title):
        with plt.rc_context(STYLE):
            fig = plot(table, title)
            fit_texts(fig)
            if fig.get_layout_engine() is None:
                fig.set_layout_engine("constrained")
        return fig

    return draw


def index_axis(ax, values) -> None:
    """A log-scaled x axis of indices or sizes (1, 10, 100), ticked at the values shown, as integers."""
    ticks = sorted({int(j) for j in values})
    ax.set_xscale("log")
    ax.set_xticks(ticks, labels=[str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())


def plain_log_axis(axis) -> None:
    """A log-scaled axis labelled with plain numbers (0.5, 1, 60, not 10⁰), no minor labels: for
    values that are not integers (width factors below 1)."""
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    axis.set_major_formatter(formatter)
    axis.set_minor_formatter(NullFormatter())


def epoch_axis(ax, epochs) -> None:
    """A symmetric-log x axis of epochs (0 and 1 apart, 10 and 40 close), ticked at the epochs shown,
    with nothing left of 0."""
    ticks = sorted({int(e) for e in epochs})
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(ticks, labels=[str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(0, max(1, ticks[-1]) * 1.15)


def save(fig, path: str | Path, dpi: int) -> None:
    """Save atomically. A PDF carries no date (the same data gives the same file) and lists its titles
    and axis labels in its metadata (Keywords), so a reader or a test can check what it shows."""
    suffix = Path(path).suffix.lstrip(".")
    meta = {"CreationDate": None, "Keywords": " | ".join(texts(fig))} if suffix == "pdf" else None
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix, dpi=dpi, metadata=meta)
    plt.close(fig)


MODEL_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
KIND_STYLE = {"network": "-", "linearized": "--"}


def color(models: list, model: str) -> str:
    return MODEL_COLORS[list(models).index(model) % len(MODEL_COLORS)]


def models_in(table: dict) -> list:
    return list(dict.fromkeys(table["model"].tolist()))
