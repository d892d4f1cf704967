"""Every figure of every paper, drawn from a small table in its CSV's column layout (written and read
back as the plot rule reads it), is drawn in the house style, keeps its texts inside the canvas and
its legends apart."""

import io as bytes_io
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import test_papers_canatar2022 as canatar_tests
import test_papers_long2021 as long_tests
import test_papers_ortiz2021 as ortiz_tests
import test_papers_samarin2022 as samarin_tests
import test_papers_vyas2022 as vyas_tests
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.legend import Legend
from matplotlib.text import Text

from ntkrepro import io, plotting
from ntkrepro.papers import load_all

PAPERS = load_all()
LONG_TITLE = "a title as long as the workflow's, naming the dataset, the sizes, the epochs and K = 1,000 " * 2
EVERY_LONG_SERIES = (long_tests.SVM, long_tests.NET, long_tests.CONJ, "alignment", "invariance quadrant swap",
                     "invariance translation", "invariance zoom", "invariance rotation")
LONG_SETTINGS = (long_tests.vgg(), long_tests.vgg("5 vs 6"), long_tests.mlp(), long_tests.mlp("5 vs 6"),
                 long_tests.CIFAR, long_tests.MEGA)


def long_epoch_table():
    return long_tests.table([long_tests.row(s, {0: 0.5, 1: 0.4, 3: 0.35, 10: 0.3, 30: 0.25}, series, aug)
                             for s in LONG_SETTINGS for series in EVERY_LONG_SERIES for aug in (0, 1)])


def long_lr_table():
    return long_tests.lr_table([long_tests.row(s, {0.001: 0.6, 0.01: 0.5, 0.1: 0.4}, series, aug)
                                for s in LONG_SETTINGS[:-1] for series in EVERY_LONG_SERIES for aug in (0, 1)])


def samarin_accuracy_table():
    series = {**samarin_tests.lenet_series("main", samarin_tests.PAPER_GAPS),
              **samarin_tests.lenet_series("reference", samarin_tests.PAPER_GAPS)}
    return samarin_tests.accuracy_columns(series)


def samarin_rank_table():
    """One model, as the default build has: the narrowest figure."""
    return samarin_tests.rank_columns({("LinLeNet", "MNIST"): {1: 50, 2: 90, 5: 150, 60: 400},
                                       ("LinLeNet", "shifted MNIST"): {1: 60, 2: 80, 5: 100, 60: 200}})


def samarin_spectrum_table():
    """One dataset: the narrowest figure."""
    return samarin_tests.spectrum_columns({("MNIST", 1): [100, 1, 0.01], ("MNIST", 60): [120, 2, 0.1]})


TABLES = {
    **{("ortiz2021", module.__name__.rsplit(".", 1)[1]): build for module, build in ortiz_tests.PLOTTED.items()},
    **{("long2021", f"fig{n}"): long_epoch_table for n in (1, 2, 3, 4, 5, 6, 7, 8, 16)},
    **{("long2021", f"fig{n}"): long_lr_table for n in (9, 10, 11, 12, 13, 14)},
    ("long2021", "fig15"): lambda: long_tests.budget_table({60000: 0.03, 80000: 0.028, 100000: 0.025}),
    **{("samarin2022", f"fig{n}"): samarin_accuracy_table for n in (2, 3, 4, 5)},
    ("samarin2022", "fig6"): samarin_rank_table,
    ("samarin2022", "fig7"): samarin_spectrum_table,
    ("samarin2022", "table1"): lambda: samarin_tests.binary_columns(samarin_tests.table1.PAPER),
    ("samarin2022", "table2"): lambda: samarin_tests.binary_columns(samarin_tests.table2.PAPER,
                                                                    samarin_tests.table1.PAPER),
}

def scratch() -> Path:
    """A folder for the tables the Vyas builders write and read back as CSV."""
    return Path(tempfile.mkdtemp(prefix="figure-table-"))


TABLES |= {
    ("vyas2022", "fig1"): lambda: vyas_tests.fig1_table(scratch(), 0.5, 0.2),
    ("vyas2022", "fig2"): lambda: vyas_tests.fig2_table(scratch(), 0.5, (0.1, 0.2, 0.28), -0.5),
    ("vyas2022", "fig3"): lambda: vyas_tests.fig3_table(scratch()),
    ("vyas2022", "fig4"): lambda: vyas_tests.fig4_table(scratch(), (0.4, 0.3, 0.25, 0.1, 0.0),
                                                        (0.3, 0.25, 0.2, 0.15, 0.1), 0.5),
    **{("canatar2022", f"fig{n}"): canatar_tests.holding for n in (1, 2, 6)},
    ("canatar2022", "table1"): lambda: canatar_tests.table1_from(canatar_tests.holding()),
}
FIGURES = [(key, name) for key, paper in PAPERS.items() for name in paper.figures]


def drawn(fig):
    """The figure's renderer after saving it, as the plot rule does (constrained layout runs then)."""
    fig.savefig(bytes_io.BytesIO(), format="png", dpi=100)
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = sorted(limits)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                value = tick.get_loc()
                tick.label1.set_visible(tick.label1.get_visible() and lo <= value <= hi)  # drawn only in view
    return renderer


def outside(fig, renderer) -> list[str]:
    """The texts of a figure (titles, labels, tick labels in view, legends), as drawn, that stick out of it."""
    box, out = fig.bbox, []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip():
            b = t.get_window_extent(renderer)
            if b.x0 < box.x0 - 1 or b.y0 < box.y0 - 1 or b.x1 > box.x1 + 1 or b.y1 > box.y1 + 1:
                out.append(t.get_text())
    return out


def inside(inner, outer) -> bool:
    return outer.x0 - 1 <= inner.x0 and inner.x1 <= outer.x1 + 1 and outer.y0 - 1 <= inner.y0 and inner.y1 <= outer.y1 + 1


def legend_clashes(fig, renderer) -> list[str]:
    """Legends that overlap one another, or a data area they are not placed inside of."""
    legends = [lg for lg in fig.findobj(Legend) if lg.get_visible()]
    boxes = [lg.get_window_extent(renderer) for lg in legends]
    areas = [ax.bbox for ax in fig.axes if ax.get_visible()]
    out = []
    for i, (legend, box) in enumerate(zip(legends, boxes)):
        name = legend.texts[0].get_text() if legend.texts else "(empty legend)"
        out += [f"legend {name!r} overlaps legend {legends[j].texts[0].get_text()!r}"
                for j in range(i + 1, len(legends)) if box.overlaps(boxes[j])]
        if not any(inside(box, area) for area in areas):
            out += [f"legend {name!r} overlaps a data area" for area in areas if box.overlaps(area)]
    return out


def test_every_figure_has_a_table_here():
    assert sorted(FIGURES) == sorted(TABLES)


@pytest.mark.parametrize("key,name", FIGURES, ids=[f"{k}-{n}" for k, n in FIGURES])
def test_every_text_lies_inside_its_figure_and_legends_apart(key, name, tmp_path):
    io.write_csv(TABLES[(key, name)](), tmp_path / "table.csv")
    fig = PAPERS[key].figures[name].plot(io.read_csv(tmp_path / "table.csv"), LONG_TITLE)
    try:
        assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert not any(ax.spines["top"].get_visible() for ax in panels)  # plotting.STYLE
        assert all(ax.title.get_fontsize() == plotting.STYLE["axes.titlesize"] for ax in panels)
        renderer = drawn(fig)
        assert outside(fig, renderer) == []
        assert legend_clashes(fig, renderer) == []
    finally:
        plt.close(fig)


def test_legend_clashes_are_found():
    fig, (left, right) = plt.subplots(1, 2, figsize=(4, 2))
    for ax in (left, right):
        ax.plot([0, 1], [0, 1], label=f"line of {'left' if ax is left else 'right'}")
    left.legend(loc="center left", bbox_to_anchor=(0.9, 0.5))  # outside its panel, over the right one
    try:
        assert "legend 'line of left' overlaps a data area" in legend_clashes(fig, drawn(fig))
        right.legend(loc="center left", bbox_to_anchor=(-0.2, 0.5))
        assert "legend 'line of left' overlaps legend 'line of right'" in legend_clashes(fig, drawn(fig))
    finally:
        plt.close(fig)


def test_a_pdf_lists_its_wrapped_labels_on_one_line(tmp_path):
    from workflow_helpers import pdf_keywords

    fig = PAPERS["long2021"].figures["fig6"].plot(long_epoch_table(), "the title")
    label = fig.axes[0].get_ylabel()
    assert "\n" in label and " ".join(label.split("\n")) == "alignment with the conjugate kernel"  # wrapped to its panel
    plotting.save(fig, tmp_path / "fig6.pdf", 100)
    assert "alignment with the conjugate kernel" in pdf_keywords(tmp_path / "fig6.pdf")
