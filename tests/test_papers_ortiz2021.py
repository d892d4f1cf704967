"""Paper 000's claims, each tested on small hand-made tables whose verdicts are known (one that holds,
one that does not), and its figure modules' plans."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from ntkrepro import config as cfg
from ntkrepro.papers import load_all
from ntkrepro.papers.ortiz2021 import fig2, fig3, fig4, fig5, fig6, fig7, fig8, fig9
from ntkrepro.pipeline.plan import Plan

ROOT = Path(__file__).resolve().parents[1]


def table(**cols):
    return {k: np.asarray(v) for k, v in cols.items()}


def verdicts(claims):
    return [c.holds for c in claims]


def fig2_table(net, lin):
    """One model; network and linearized accuracies at j = 1, 10, 100 (and a CIFAR2 row each)."""
    j = [1, 10, 100]
    return table(model=["m"] * 8, kind=["network"] * 4 + ["linearized"] * 4,
                 task=["eigenfunction"] * 3 + ["cifar2"] + ["eigenfunction"] * 3 + ["cifar2"],
                 index=j + [0] + j + [0], test_accuracy=net + [0.9] + lin + [0.8])


def test_fig2_claims():
    holds = fig2.claims(fig2_table([0.9, 0.7, 0.5], [0.95, 0.8, 0.6]))
    assert verdicts(holds) == [True, True, True]
    assert holds[0].value == pytest.approx(-1) and holds[2].value == pytest.approx(0.25 / 3)
    fails = fig2.claims(fig2_table([0.5, 0.7, 0.9], [0.4, 0.6, 0.8]))
    assert verdicts(fails) == [False, False, False] and fails[2].value == pytest.approx(-0.1)


def test_fig3_claims():
    grows = fig3.claims(table(index=[1, 10, 100], iterations_to_threshold=[10, 20, 30], distance_l2=[1, 2, 3],
                              distance_cosine=[0.1, 0.2, 0.3]))
    assert verdicts(grows) == [True, True, True] and grows[0].value == pytest.approx(1)
    falls = fig3.claims(table(index=[1, 10, 100], iterations_to_threshold=[30, 20, 10], distance_l2=[3, 2, 1],
                              distance_cosine=[0.3, 0.2, 0.1]))
    assert verdicts(falls) == [False, False, False]
    two = fig3.claims(table(index=[1, 2], iterations_to_threshold=[10.0, 20.0], distance_l2=[1.0, 2.0],
                            distance_cosine=[0.1, 0.2]))
    assert verdicts(two) == [None, None, None]  # too few points


def test_fig4_claims():
    nan = float("nan")
    t = table(model=["m"] * 4, index=[1, 2, 3, 4], alignment=[4, 3, 2, 1],
              network_accuracy=[0.99, 0.9, nan, 0.7], linearized_accuracy=[0.89, 0.8, nan, 0.6])
    holds = fig4.claims(t)
    assert verdicts(holds) == [True, True] and holds[1].value == pytest.approx(0.1)
    t["network_accuracy"] = np.array([0.6, 0.7, nan, 0.9])
    assert verdicts(fig4.claims(t)) == [False, False]


def fig5_table(gap_small, gap_large, distances):
    rows = {"model": [], "kind": [], "size": [], "seed": [], "test_accuracy": [], "distance_l2": []}
    for n, gap, d in [(100, gap_small, distances[0]), (200, 0.0, distances[1]), (400, gap_large, distances[2])]:
        for seed in (1, 2):
            for kind, acc in (("network", 0.7 + gap), ("linearized", 0.7)):
                for k, v in zip(rows, ["m", kind, n, seed, acc, d if kind == "network" else 0.0]):
                    rows[k].append(v)
    return table(**rows)


def test_fig5_claims():
    holds = fig5.claims(fig5_table(0.01, 0.05, [1, 2, 3]))
    assert verdicts(holds) == [True, True] and holds[0].value == pytest.approx(0.04)
    assert verdicts(fig5.claims(fig5_table(0.05, 0.01, [3, 2, 1]))) == [False, False]


def test_fig6_claims():
    assert fig6.claims(table(epoch=[0, 1, 10], energy_concentration=[0.3, 0.5, 0.7]))[0].value == pytest.approx(0.7 / 0.3)
    assert verdicts(fig6.claims(table(epoch=[10, 0, 1], energy_concentration=[0.3, 0.5, 0.4]))) == [False]


def test_fig7_claims():
    up = fig7.claims(table(index=[1, 2, 3, 4, 5], alpha_init=[5.0, 4.0, 3.0, 2.0, 1.0],
                           alpha_trained=[10.0, 8.0, 6.0, 4.0, 50.0], is_target=[0, 0, 0, 0, 1]))
    assert verdicts(up) == [True, True] and [c.value for c in up] == pytest.approx([25, 1.0])
    flat = fig7.claims(table(index=[1, 2, 3, 4, 5], alpha_init=[5.0, 4.0, 3.0, 2.0, 1.0],
                             alpha_trained=[2.0, 3.0, 4.0, 60.0, 5.0], is_target=[0, 0, 0, 0, 1]))
    assert verdicts(flat) == [False, False] and flat[0].value == pytest.approx(5 / 30)
    assert flat[1].value == pytest.approx(-1.0)  # the other eigenfunctions' order reversed
    too_few = fig7.claims(table(index=[1, 2, 3], alpha_init=[3.0, 2.0, 1.0], alpha_trained=[6.0, 4.0, 50.0],
                                is_target=[0, 0, 1]))
    assert too_few[1].verdict == "not tested: not computable from the figure's table"


def test_fig7_table_keeps_the_window_and_marks_the_target(tmp_path):
    alignments = {}
    for name, values in (("before", [4.0, 3.0, 2.0, 1.0]), ("after", [8.0, 6.0, 40.0, 900.0])):
        path = tmp_path / f"{name}.csv"
        path.write_text("index,alignment\n" + "".join(f"{j},{v}\n" for j, v in enumerate(values, start=1)))
        alignments[name] = [({}, path)]
    t = fig7.table(alignments, {"target": 3, "window": 3})
    assert t["index"].tolist() == [1, 2, 3] and t["is_target"].tolist() == [0, 0, 1]
    assert t["alpha_trained"].tolist() == [8.0, 6.0, 40.0]
    assert verdicts(fig7.claims(t))[0] is True  # φ_4 beyond the window grows more, and is not compared


def fig8_table(losses, accuracies):
    names = [fig8.NETWORK, fig8.AT_INIT, fig8.AT_TRAINED]
    rows = {"model": [], "epoch": [], "train_loss": [], "test_accuracy": []}
    for name in names:
        for epoch, loss in enumerate(losses[name], start=1):
            rows["model"].append(name)
            rows["epoch"].append(epoch)
            rows["train_loss"].append(loss)
            rows["test_accuracy"].append(accuracies[name] if epoch == len(losses[name]) else 0.5)
    return table(**rows)


def test_fig8_claims():
    paper = fig8_table({fig8.NETWORK: [0.1, 0.01], fig8.AT_INIT: [0.6, 0.5], fig8.AT_TRAINED: [0.2, 0.05]},
                       {fig8.NETWORK: 0.72, fig8.AT_INIT: 0.8, fig8.AT_TRAINED: 0.7})
    holds = fig8.claims(paper)
    assert verdicts(holds) == [True] * 4 and holds[2].value == pytest.approx(0.1)
    assert holds[3].value == pytest.approx(0.02 - 0.08)
    contrary = fig8_table({fig8.NETWORK: [0.6, 0.5], fig8.AT_INIT: [0.1, 0.01], fig8.AT_TRAINED: [0.6, 0.5]},
                          {fig8.NETWORK: 0.7, fig8.AT_INIT: 0.7, fig8.AT_TRAINED: 0.8})
    assert verdicts(fig8.claims(contrary)) == [False] * 4


def test_fig9_claims():
    falls = table(kind=["linearized"] * 4 + ["network"], pretraining_epochs=[0, 1, 5, 10, 10],
                  test_accuracy=[0.9, 0.7, 0.65, 0.6, 0.65])
    assert verdicts(fig9.claims(falls)) == [True, True] and fig9.claims(falls)[1].value == pytest.approx(0.3)
    rises = table(kind=["linearized"] * 4, pretraining_epochs=[10, 0, 1, 5], test_accuracy=[0.9, 0.6, 0.7, 0.8])
    assert verdicts(fig9.claims(rises)) == [False, False]
    # the drop is all from θ0: among e ≥ 1 accuracy rises, so "later checkpoints generalize worse" fails
    from_init_only = table(kind=["linearized"] * 4, pretraining_epochs=[0, 1, 5, 10], test_accuracy=[0.9, 0.6, 0.62, 0.64])
    assert verdicts(fig9.claims(from_init_only)) == [False, True]
    assert fig9.claims(from_init_only)[0].value == pytest.approx(1.0)
    two_later = table(kind=["linearized"] * 3, pretraining_epochs=[0, 1, 10], test_accuracy=[0.9, 0.7, 0.6])
    assert fig9.claims(two_later)[0].verdict == "not tested: 2 checkpoint(s) with e ≥ 1 (needs 3 to rank)"


# tables in each figure's column layout, drawn by tests/test_figures.py
PLOTTED = {
    fig2: lambda: fig2_table([0.9, 0.7, 0.5], [0.95, 0.8, 0.6]),
    fig3: lambda: table(index=[1, 10, 100], iterations_to_threshold=[10, 20, 30], distance_l2=[1, 2, 3],
                        distance_cosine=[0.1, 0.2, 0.3]),
    fig4: lambda: table(model=["m"] * 4, index=[1, 2, 3, 4], alignment=[4, 3, 2, 1],
                        network_accuracy=[0.99, 0.9, float("nan"), 0.7], linearized_accuracy=[0.89, 0.8, float("nan"), 0.6]),
    fig5: lambda: fig5_table(0.01, 0.05, [1, 2, 3]),
    fig6: lambda: table(epoch=[0, 1, 2, 5, 10, 20, 40], energy_concentration=[0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.9]),
    fig7: lambda: table(index=[1, 2, 3], alpha_init=[3.0, 2.0, 1.0], alpha_trained=[6.0, 4.0, 50.0], is_target=[0, 0, 1]),
    fig8: lambda: fig8_table({fig8.NETWORK: [0.1, 0.01], fig8.AT_INIT: [0.6, 0.5], fig8.AT_TRAINED: [0.2, 0.05]},
                             {fig8.NETWORK: 0.9, fig8.AT_INIT: 0.8, fig8.AT_TRAINED: 0.7}),
    fig9: lambda: table(kind=["linearized"] * 5 + ["network"], pretraining_epochs=[0, 1, 5, 20, 40, 40],
                        test_accuracy=[0.9, 0.7, 0.6, 0.6, 0.5, 0.65]),
}


def test_epoch_axes_show_the_epochs_and_nothing_left_of_zero():
    import matplotlib.pyplot as plt

    fig = fig9.plot(PLOTTED[fig9](), "t")
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_visible()]
    assert labels == ["0", "1", "5", "20", "40"] and ax.get_xlim()[0] == 0
    plt.close(fig)


def test_a_saved_pdf_names_its_titles_and_axes(tmp_path):
    from workflow_helpers import pdf_keywords

    from ntkrepro import plotting

    plotting.save(fig9.plot(PLOTTED[fig9](), "the title"), tmp_path / "fig9.pdf", 100)
    assert pdf_keywords(tmp_path / "fig9.pdf") == "the title | pretraining epochs $e$ | test accuracy"


def test_only_figure_4_uses_the_resnet18_with_the_authors_zero_residual_scale():
    papers = load_all()
    config = cfg.validate(yaml.safe_load((ROOT / "config/config.yaml").read_text()),
                          cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml", papers))
    models = config["models"]
    assert models["resnet18-gelu"]["zero_init_residual"] is True and models["resnet18"]["zero_init_residual"] is False
    users = {f.key for f in Plan(config, papers).figures
             if any("resnet18-gelu" in path for paths in f.inputs.values() for path in paths)}
    assert users == {"fig4"}
