"""Long 2021: the networks' sizing rule and parameter counts, Keras' initialization, every claim of
the scorecard on small hand-made tables whose verdicts are known (one that holds, one that does not),
and the plans of the shipped configurations."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from ntkrepro import config as cfg
from ntkrepro.errors import ConfigError
from ntkrepro.models import build_model, initialize, parameter_count
from ntkrepro.models import mlp as mlp_arch
from ntkrepro.models import vgg as vgg_arch
from ntkrepro.papers import load_all
from ntkrepro.papers.long2021 import (common, fig1, fig2, fig3, fig4, fig5, fig6, fig7, fig8, fig9, fig10, fig11,
                                      fig12, fig13, fig14, fig15, fig16)
from ntkrepro.pipeline.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
PAPERS = load_all()
SCHEMA = cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml", PAPERS)
NAN = float("nan")


# ---- networks ---------------------------------------------------------------------------------

def test_vgg_sized_from_a_budget_as_the_authors_code():
    assert vgg_arch.width_for_budget(1e5, 28, 1) == 38  # the code's default budget: 38/76 channels
    assert vgg_arch.width_for_budget(5e4, 28, 1) == 26  # the paper's text: 26/52 channels
    assert vgg_arch.width_for_budget(1e6, 28, 1) == 119  # mega-VGG: 119/238
    assert vgg_arch.width_for_budget(1e5, 32, 3) == 37  # CIFAR-10
    assert vgg_arch.approximate_parameters(28, 1, 38) == 105_185  # his (over)estimate
    model = build_model("vgg", (1, 28, 28), {"budget": 1e5})
    assert parameter_count(model) == 95_267  # ≈ 95K true parameters
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [38, 38, 76, 76] and all(c.kernel_size == (3, 3) for c in convs)
    assert model.classifier.in_features == 76 * 7 * 7 and model.classifier.out_features == 1
    assert parameter_count(build_model("vgg", (1, 28, 28), {"budget": 1e6})) == 905_591
    assert parameter_count(build_model("vgg", (1, 28, 28), {"channels": 26})) == 45_527


def test_vgg_pools_odd_sizes_like_keras_same_padding():
    model = build_model("vgg", (1, 14, 14), {"channels": 4})  # 14 -> 7 -> 4 (Keras: ceil)
    assert model.classifier.in_features == 8 * 4 * 4
    assert model(torch.randn(3, 1, 14, 14)).shape == (3,)


def test_vgg_takes_channels_or_budget():
    with pytest.raises(ConfigError, match="exactly one of the options 'channels' and 'budget'"):
        build_model("vgg", (1, 28, 28), {"channels": 4, "budget": 1e5})
    with pytest.raises(ConfigError, match="exactly one"):
        build_model("vgg", (1, 28, 28), {})


def test_mlp_sized_from_a_budget_as_the_authors_code():
    assert mlp_arch.width_for_budget(1e5, 784, 4) == 94
    assert mlp_arch.approximate_parameters(784, 94, 4) == 100_581
    model = build_model("mlp", (1, 28, 28), {"widths": [1, 1, 1, 1], "budget": 1e5})
    assert [m.out_features for m in model.net if isinstance(m, nn.Linear)] == [94, 94, 94, 94, 1]
    same = build_model("mlp", (1, 28, 28), {"widths": [94, 94, 94, 94]})
    assert parameter_count(model) == parameter_count(same) == 100_675


def test_keras_initialization_is_glorot_uniform_with_zero_biases():
    model = initialize(build_model("vgg", (1, 28, 28), {"budget": 1e5}), "keras", 0)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            w = m.weight.detach()
            receptive = w[0, 0].numel()
            limit = math.sqrt(6 / ((w.shape[0] + w.shape[1]) * receptive))
            assert float(w.abs().max()) <= limit and float(w.abs().max()) > 0.95 * limit
            assert abs(float(w.std()) / (limit / math.sqrt(3)) - 1) < 0.05  # uniform on ±limit
            assert torch.all(m.bias == 0)
    again = initialize(build_model("vgg", (1, 28, 28), {"budget": 1e5}), "keras", 0)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


# ---- hand-made tables ---------------------------------------------------------------------------

COLUMNS = ("model", "task", "group", "augmentation", "x", "series", "mean")


def table(rows, x="epoch", ci=NAN):
    """rows: (model, task, group, augmentation, {x: mean}, series) -> the CSV's columns, every mean
    with the interval ``ci`` over seeds (NaN: one seed)."""
    cols = {c: [] for c in ("model", "task", "group", "augmentation", x, "series", "mean", "ci", "n")}
    for model, task, group, aug, values, series in rows:
        for xv, mean in values.items():
            for c, v in zip(("model", "task", "group", "augmentation", x, "series", "mean", "ci", "n"),
                            (model, task, group, aug, xv, series, mean, ci, 1 if np.isnan(ci) else 2)):
                cols[c].append(v)
    return {k: np.asarray(v, dtype=float if k in (x, "mean", "ci", "n", "augmentation") else None)
            for k, v in cols.items()}


def verdicts(claims):
    return [c.holds for c in claims]


def vgg(task="3 vs 8", group="mnist"):
    return "VGG", task, group


def mlp(task="3 vs 8"):
    return "MLP", task, "mnist"


CIFAR = ("VGG", "4 vs 9 of mnist-5k (stand-in for CIFAR-10 cat vs dog)", "cifar")
MEGA = ("mega-VGG", "3 vs 8", "mnist")
SVM, NET, CONJ, LOSS = "svm after kernel", "network", "svm conjugate kernel", "training loss"


def row(setting, values, series, aug=0):
    return (*setting, aug, values, series)


def loss(setting, values, aug=0):
    """The network's training loss at each checkpoint (chance: ln 2 = 0.69)."""
    return row(setting, values, LOSS, aug)


def learned(setting, epochs=(0, 1, 3, 10), aug=0):
    """A network at chance at initialization that has trained by its first checkpoint after it."""
    return loss(setting, {e: 0.69 if e == 0 else 0.05 for e in epochs}, aug)


def at_chance(setting, epochs=(0, 1, 3, 10), aug=0):
    return loss(setting, {e: 0.69 for e in epochs}, aug)


def stand_in_verdicts(claims):
    return [c.verdict for c in claims if c.standin]


TRAINED = [learned(s) for s in (vgg(), mlp(), CIFAR)]


def test_fig1_claims():
    holds = fig1.claims(table([
        row(mlp(), {0: 0.2, 1: 0.1, 3: 0.05, 10: 0.04}, SVM),
        row(vgg(), {0: 0.02, 1: 0.019, 3: 0.018, 10: 0.018}, SVM),
        row(CIFAR, {0: 0.4, 10: 0.2}, SVM), *TRAINED]))
    assert verdicts(holds) == [True, True, True]
    assert [c.value for c in holds] == pytest.approx([0.2, 0.1 - 0.8, 0.5])
    assert stand_in_verdicts(holds) == ["holds on a stand-in"]  # the cat-vs-dog claim, on the stand-in pair
    fails = fig1.claims(table([
        row(mlp(), {0: 0.1, 1: 0.1, 3: 0.1, 10: 0.1}, SVM),
        row(vgg(), {0: 0.2, 10: 0.1}, SVM),
        row(CIFAR, {0: 0.3, 10: 0.3}, SVM), *TRAINED]))
    assert verdicts(fails) == [False, False, False]
    # networks that have not begun to learn say nothing about what training does to their kernel
    untrained = fig1.claims(table([row(mlp(), {0: 0.2, 1: 0.1, 3: 0.05, 10: 0.04}, SVM), at_chance(mlp())]))
    assert untrained[0].verdict.startswith("not tested: the network has not trained (largest training loss at the "
                                           "last checkpoint 0.69")


def test_fig2_and_fig3_claims():
    svm = {0: 0.5, 1: 0.1, 3: 0.05, 10: 0.04}
    trained = loss(vgg(), {0: 0.69, 1: 0.3, 3: 0.2, 10: 0.05})
    holds = table([row(vgg(), svm, SVM), row(vgg(), {0: 0.5, 1: 0.3, 3: 0.1, 10: 0.04}, NET), trained], ci=0.01)
    assert [c.verdict for c in fig2.claims(holds)] == ["holds", "holds"]
    assert [c.value for c in fig2.claims(holds)] == pytest.approx([0.125, -0.01 * np.sqrt(2)])
    assert fig3.claims(holds)[0].verdict == "holds" and fig3.claims(holds)[0].value == pytest.approx(0.2)
    network_ahead = table([row(vgg(), svm, SVM), row(vgg(), {0: 0.5, 1: 0.05, 3: 0.03, 10: 0.02}, NET), trained],
                          ci=0.01)
    assert verdicts(fig2.claims(network_ahead)) == [False, None]
    assert fig2.claims(network_ahead)[1].verdict == ("not tested: the SVM never led the network by more than the "
                                                    "interval over seeds: nothing to catch up")
    assert verdicts(fig3.claims(network_ahead)) == [False]
    never_catches_up = table([row(vgg(), svm, SVM), row(vgg(), {0: 0.5, 1: 0.3, 3: 0.2, 10: 0.2}, NET), trained],
                             ci=0.01)
    assert verdicts(fig2.claims(never_catches_up)) == [True, False]
    assert fig2.claims(never_catches_up)[1].value == pytest.approx(0.16 - 0.01 * np.sqrt(2))
    # a network at chance throughout: the SVM "leads" trivially, so neither claim is tested
    untrained = table([row(vgg(), svm, SVM), row(vgg(), {0: 0.5, 1: 0.5, 3: 0.5, 10: 0.49}, NET), at_chance(vgg())],
                      ci=0.01)
    assert [c.verdict for c in fig2.claims(untrained)] == [
        "not tested: the network had not begun to learn (training loss < 0.35) at any intermediate checkpoint",
        "not tested: the network has not trained (largest training loss at the last checkpoint 0.69, needs < 0.1)"]
    assert fig3.claims(untrained)[0].verdict.startswith("not tested: the network had not begun to learn")
    # a gap within the interval over seeds is no lead
    noise = table([row(vgg(), svm, SVM), row(vgg(), {0: 0.5, 1: 0.103, 3: 0.052, 10: 0.04}, NET), trained], ci=0.01)
    assert fig2.claims(noise)[0].verdict == "not tested: the difference 0.0025 is within the interval over seeds (sd/√n) (0.01)"
    one_seed = table([row(vgg(), svm, SVM), row(vgg(), {0: 0.5, 1: 0.3, 3: 0.1, 10: 0.04}, NET), trained])
    assert fig2.claims(one_seed)[1].verdict.startswith("not tested: ")


def test_fig3_reads_the_first_checkpoint_where_the_network_has_begun_to_learn():
    t = table([row(vgg(), {0: 0.5, 1: 0.45, 3: 0.1}, SVM), row(vgg(), {0: 0.5, 1: 0.5, 3: 0.2}, NET),
               loss(vgg(), {0: 0.69, 1: 0.6, 3: 0.3})], ci=0.01)
    assert fig3.claims(t)[0].verdict == "holds" and fig3.claims(t)[0].value == pytest.approx(0.1)  # at 3, not at 1


def test_fig4_claims():
    swap = "invariance quadrant swap"
    trained = [learned(s) for s in (vgg(), mlp(), CIFAR)]
    holds = fig4.claims(table([
        row(vgg(), {0: 0.9, 1: 0.85, 10: 0.8}, swap), row(mlp(), {0: 0.3, 1: 0.7, 10: 0.5}, swap),
        row(CIFAR, {0: 0.9, 1: 0.8, 10: 0.6}, swap), row(MEGA, {0: 0.9, 1: 0.8, 10: 0.7}, swap), *trained], ci=0.01))
    assert verdicts(holds) == [True] * 8
    assert [c.value for c in holds] == pytest.approx([-0.1, -0.2, 0.4, -0.2, 0.2, -1 / 3, -1 / 3 + 1 / 9, -0.1])
    assert stand_in_verdicts(holds) == ["holds on a stand-in"] * 2  # the two cat-vs-dog claims
    fails = fig4.claims(table([
        row(vgg(), {0: 0.8, 1: 0.85, 10: 0.9}, swap), row(mlp(), {0: 0.95, 1: 0.9, 10: 0.92}, swap),
        row(CIFAR, {0: 0.8, 10: 0.9}, swap), row(MEGA, {0: 0.9, 10: 0.95}, swap), *trained], ci=0.01))
    assert verdicts(fails)[:6] + verdicts(fails)[7:] == [False] * 7
    assert fails[6].verdict.startswith("not tested: no decrease on cat vs dog")  # nothing to be greatest
    less_on_cifar = fig4.claims(table([row(vgg(), {0: 0.9, 10: 0.5}, swap), row(CIFAR, {0: 0.9, 10: 0.8}, swap),
                                       *trained], ci=0.01))
    assert less_on_cifar[6].verdict == "does not hold on a stand-in"
    # the MLP's jump: within the interval over seeds, or before the MLP has begun to learn, it is not tested
    tiny = fig4.claims(table([row(mlp(), {0: 0.3, 1: 0.303, 10: 0.2}, swap), *trained], ci=0.01))
    assert tiny[2].verdict.startswith("not tested: the difference 0.003 is within the interval over seeds")
    untrained = fig4.claims(table([row(mlp(), {0: 0.3, 1: 0.7, 10: 0.5}, swap), at_chance(mlp())], ci=0.01))
    assert untrained[2].verdict == ("not tested: the network has not trained (training loss at the first checkpoint "
                                    "after 0 0.69, needs < 0.35)")
    assert untrained[3].verdict.startswith("not tested: the network has not trained (largest training loss at the last")


def test_fig5_claims():
    families = ("invariance translation", "invariance zoom", "invariance rotation")
    trained = [learned(s) for s in (vgg(), mlp(), CIFAR)]

    def rows(base, shape, cifar_rotation):
        out = []
        for setting, a in ((vgg(), base["VGG"]), (mlp(), base["MLP"]), (CIFAR, base["VGG"])):
            for s in families:
                values = cifar_rotation if (setting == CIFAR and s == "invariance rotation") else shape(a)
                out.append(row(setting, values, s))
        return out + trained

    holds = fig5.claims(table(rows({"VGG": 0.6, "MLP": 0.3}, lambda a: {0: a, 1: a + 0.3, 10: a + 0.1},
                                   {0: 0.8, 1: 0.9, 10: 0.5}), ci=0.01))
    assert verdicts(holds) == [True] * 5
    assert [c.value for c in holds] == pytest.approx([1, 1, 8 / 9, -0.3, -0.375])
    fails = fig5.claims(table(rows({"VGG": 0.6, "MLP": 0.7}, lambda a: {0: a, 1: a - 0.1, 10: a},
                                   {0: 0.6, 1: 0.5, 10: 0.6}), ci=0.01))
    assert verdicts(fails) == [False] * 5
    # jumps within the interval over seeds (none against it) leave "in all cases" undecided
    tiny = fig5.claims(table(rows({"VGG": 0.6, "MLP": 0.3}, lambda a: {0: a, 1: a + 0.005, 10: a - 0.1},
                                  {0: 0.8, 1: 0.805, 10: 0.5}), ci=0.01))
    assert tiny[0].verdict == ("not tested: 9 of 9 changes are within the interval over seeds (sd/√n) "
                               "(or it is not known)")
    untrained = table(rows({"VGG": 0.6, "MLP": 0.3}, lambda a: {0: a, 1: a + 0.3, 10: a + 0.1}, {0: 0.8, 1: 0.9, 10: 0.5}),
                      ci=0.01)
    untrained["mean"][untrained["series"] == LOSS] = 0.69
    assert fig5.claims(untrained)[0].verdict.startswith("not tested: the network has not trained")


def test_fig6_claims():
    a = "alignment"
    trained = [learned(s) for s in (vgg(), mlp(), CIFAR)]
    holds = fig6.claims(table([row(vgg(), {0: 0.95, 1: 0.9, 10: 0.85}, a), row(MEGA, {0: 0.97, 10: 0.9}, a),
                               row(mlp(), {0: 0.9, 10: 0.4}, a), row(CIFAR, {0: 0.9, 10: 0.5}, a), *trained], ci=0.01))
    assert verdicts(holds) == [True] * 5
    assert [c.value for c in holds] == pytest.approx([0.85, 0.06, 0.9, -0.5, -0.4])
    assert stand_in_verdicts(holds) == ["holds on a stand-in"]
    fails = fig6.claims(table([row(vgg(), {0: 0.7, 1: 0.9, 10: 0.6}, a), row(MEGA, {0: 0.7, 10: 0.8}, a),
                               row(mlp(), {0: 0.5, 10: 0.6}, a), row(CIFAR, {0: 0.9, 10: 0.88}, a), *trained], ci=0.01))
    assert verdicts(fails) == [False] * 5
    # "best at initialization" by less than the interval over seeds, or with a VGG that has not learned: not tested
    close = fig6.claims(table([row(vgg(), {0: 0.9002, 1: 0.9, 10: 0.85}, a), *trained], ci=0.01))
    assert close[1].verdict.startswith("not tested: the difference 0.0002 is within the interval over seeds")
    untrained = fig6.claims(table([row(vgg(), {0: 0.95, 1: 0.9, 10: 0.85}, a), at_chance(vgg())], ci=0.01))
    assert untrained[0].verdict.startswith("not tested: the network has not trained")  # "throughout training"
    assert untrained[1].verdict.startswith("not tested: the network has not trained")


def test_fig7_claims():
    ntk = {0: 0.05, 1: 0.03, 10: 0.02}
    bumped = lambda d, x: {k: v + x for k, v in d.items()}  # noqa: E731
    cifar_ntk = {0: 0.4, 1: 0.3, 3: 0.25, 10: 0.2}
    holds = fig7.claims(table([
        row(vgg(), ntk, SVM), row(vgg(), bumped(ntk, 0.005), CONJ),
        row(vgg("5 vs 6"), ntk, SVM), row(vgg("5 vs 6"), {0: 0.06, 1: 0.08, 10: 0.07}, CONJ),
        row(mlp(), ntk, SVM), row(mlp(), bumped(ntk, 0.002), CONJ),
        row(mlp("5 vs 6"), ntk, SVM), row(mlp("5 vs 6"), bumped(ntk, 0.003), CONJ),
        row(CIFAR, cifar_ntk, SVM), row(CIFAR, {0: 0.4, 1: 0.35, 3: 0.3, 10: 0.21}, CONJ), *TRAINED, learned(vgg("5 vs 6")),
        learned(mlp("5 vs 6"))]))
    assert verdicts(holds) == [True, True, True]
    assert [c.value for c in holds] == pytest.approx([0.6, 0.05 - 0.11 / 3, 0.2])
    assert stand_in_verdicts(holds) == ["holds on a stand-in"]
    fails = fig7.claims(table([
        row(vgg(), ntk, SVM), row(vgg(), bumped(ntk, 0.005), CONJ),
        row(vgg("5 vs 6"), ntk, SVM), row(vgg("5 vs 6"), bumped(ntk, 0.001), CONJ),
        row(mlp(), ntk, SVM), row(mlp(), bumped(ntk, 0.05), CONJ),
        row(mlp("5 vs 6"), ntk, SVM), row(mlp("5 vs 6"), bumped(ntk, 0.05), CONJ),
        row(CIFAR, cifar_ntk, SVM), row(CIFAR, {0: 0.4, 1: 0.35, 3: 0.3, 10: 0.3}, CONJ), *TRAINED, learned(vgg("5 vs 6")),
        learned(mlp("5 vs 6"))]))
    assert verdicts(fails) == [False, False, False]
    untrained = fig7.claims(table([row(vgg(), ntk, SVM), row(vgg(), bumped(ntk, 0.005), CONJ), at_chance(vgg())]))
    assert untrained[0].verdict.startswith("not tested: the network has not trained")
    no_five_six = fig7.claims(table([row(vgg(), ntk, SVM), row(vgg(), bumped(ntk, 0.005), CONJ), learned(vgg())]))
    assert no_five_six[1].holds is None and no_five_six[2].holds is None  # not computable, not a verdict


def test_fig8_claims():
    s = "invariance translation"
    trained = [learned(vgg(), (0, 3), aug) for aug in (0, 1)]
    holds = fig8.claims(table([row(vgg(), {0: 0.5, 3: 0.6}, s), row(vgg(), {0: 0.5, 3: 0.58}, s, aug=1), *trained]))
    assert verdicts(holds) == [True] and holds[0].value == pytest.approx(-0.02)
    fails = fig8.claims(table([row(vgg(), {0: 0.5, 3: 0.6}, s), row(vgg(), {0: 0.5, 3: 0.7}, s, aug=1), *trained]))
    assert verdicts(fails) == [False] and fails[0].value == pytest.approx(0.1)
    # runs that differ at epoch 0 are not the same seeds and θ0: no comparison
    unmatched = fig8.claims(table([row(vgg(), {0: 0.5, 3: 0.6}, s), row(vgg(), {0: 0.54, 3: 0.58}, s, aug=1), *trained]))
    assert unmatched[0].verdict == ("not tested: not a matched comparison: with and without augmentation differ by "
                                    "0.04 at epoch 0 (not the same seeds and θ0)")
    # networks that have not learned cannot show what augmentation does to them
    untrained = fig8.claims(table([row(vgg(), {0: 0.5, 3: 0.5}, s), row(vgg(), {0: 0.5, 3: 0.5}, s, aug=1),
                                   *[at_chance(vgg(), (0, 3), aug) for aug in (0, 1)]]))
    assert untrained[0].verdict.startswith("not tested: the network has not trained")


def test_augmented_runs_are_matched_with_runs_at_the_same_seeds():
    figures = {f.key: f for f in plan(merged()).paper_figures("long2021")}
    for key in ("fig8", "fig14", "fig16"):
        items = list(zip(figures[key].labels["eval"], figures[key].inputs["eval"]))
        seeds = [{lab["seed"] for lab, _ in items if lab["augmentation"] == aug} for aug in (0, 1)]
        assert seeds[0] == seeds[1], key
    items = list(zip(figures["fig8"].labels["eval"], figures["fig8"].inputs["eval"]))
    at_init = [{path for lab, path in items if lab["augmentation"] == aug and lab["epoch"] == 0} for aug in (0, 1)]
    assert at_init[0] == at_init[1]  # the same θ0 evaluations: the epoch-0 difference is zero by construction


def lr_table(rows, ci=0.001):
    """A learning-rate table whose every setting's runs reached the loss target (training loss 0.04)."""
    settings = {r[:3] for r in rows if r[3] == 0}
    trained = [loss(s, {lr: 0.04 for r in rows if r[:3] == s for lr in r[4]}) for s in settings]
    return table(rows + trained, x="lr", ci=ci)


def test_fig9_claims():
    holds = fig9.claims(lr_table([row(vgg(), {0.01: 0.05, 0.1: 0.03}, SVM), row(vgg(), {0.01: 0.06, 0.1: 0.05}, NET)]))
    assert verdicts(holds) == [True, True]
    assert [c.value for c in holds] == pytest.approx([-0.02, 0.015])
    fails = fig9.claims(lr_table([row(vgg(), {0.01: 0.03, 0.1: 0.05}, SVM), row(vgg(), {0.01: 0.02, 0.1: 0.04}, NET)]))
    assert verdicts(fails) == [False, False]
    # one seed: a difference of two single-seed values has no interval; a run short of the loss target
    one_seed = fig9.claims(lr_table([row(vgg(), {0.01: 0.05, 0.1: 0.03}, SVM), row(vgg(), {0.01: 0.06, 0.1: 0.05}, NET)],
                                    ci=NAN))
    assert verdicts(one_seed) == [None, None] and one_seed[0].verdict.endswith("is not known")
    short = lr_table([row(vgg(), {0.01: 0.05, 0.1: 0.03}, SVM), row(vgg(), {0.01: 0.06, 0.1: 0.05}, NET)])
    short["mean"][(short["series"] == LOSS) & (short["lr"] == 0.01)] = 0.4
    assert fig9.claims(short)[0].verdict == ("not tested: the network has not trained (largest final training loss "
                                             "0.4, needs < 0.1)")


def test_fig10_and_fig11_claims():
    swap = "invariance quadrant swap"
    assert verdicts(fig10.claims(lr_table([row(vgg(), {0.01: 0.8, 0.1: 0.6}, swap)]))) == [True]
    assert verdicts(fig10.claims(lr_table([row(vgg(), {0.01: 0.6, 0.1: 0.8}, swap)]))) == [False]
    trained = loss(vgg(), {0.01: 0.04, 0.1: 0.04})
    more = fig11.claims(table([row(vgg(), {0.01: 0.5, 0.1: 0.7}, "invariance zoom"), trained], x="lr", ci=0.01))
    less = fig11.claims(table([row(vgg(), {0.01: 0.7, 0.1: 0.5}, "invariance zoom"), trained], x="lr", ci=0.01))
    tiny = fig10.claims(lr_table([row(vgg(), {0.01: 0.8, 0.1: 0.7995}, swap)]))
    assert tiny[0].verdict.startswith("not tested: the difference -0.0005 is within the interval over seeds")
    assert len(more) == 1 and verdicts(more) == verdicts(less) == [True]  # one line: the measured sign
    assert more[0].claim.endswith("Measured: more invariant.") and less[0].claim.endswith("Measured: less invariant.")
    assert more[0].value == pytest.approx(0.2) and less[0].value == pytest.approx(-0.2)
    flat = fig11.claims(table([row(vgg(), {0.01: 0.5, 0.1: 0.505}, "invariance zoom"), trained], x="lr", ci=0.01))
    assert verdicts(flat) == [False]  # a slope within its interval (0.014): no measured effect of the learning rate
    one_seed = fig11.claims(table([row(vgg(), {0.01: 0.5, 0.1: 0.7}, "invariance zoom"), trained], x="lr"))
    assert one_seed[0].verdict == "not tested: the interval over seeds (sd/√n) is not known (one seed)"
    untrained = fig11.claims(table([row(vgg(), {0.01: 0.5, 0.1: 0.7}, "invariance zoom"),
                                    loss(vgg(), {0.01: 0.3, 0.1: 0.04})], x="lr", ci=0.01))
    assert untrained[0].verdict == ("not tested: the network has not trained (largest final training loss 0.3, "
                                    "needs < 0.1)")


def test_fig12_claims():
    a = "alignment"
    holds = fig12.claims(lr_table([row(vgg(), {0.01: 0.9, 0.1: 0.8}, a), row(mlp(), {0.01: 0.3, 0.1: 0.5}, a)]))
    assert verdicts(holds) == [True, True]
    fails = fig12.claims(lr_table([row(vgg(), {0.01: 0.8, 0.1: 0.9}, a), row(mlp(), {0.01: 0.5, 0.1: 0.3}, a)]))
    assert verdicts(fails) == [False, False]


def test_fig13_claims():
    holds = fig13.claims(lr_table([row(vgg(), {0.01: 0.05, 0.1: 0.04}, SVM), row(vgg(), {0.01: 0.08, 0.1: 0.05}, CONJ)]))
    assert verdicts(holds) == [True, True] and [c.value for c in holds] == pytest.approx([0.02, -0.02])
    fails = fig13.claims(lr_table([row(vgg(), {0.01: 0.05, 0.1: 0.04}, SVM), row(vgg(), {0.01: 0.03, 0.1: 0.04}, CONJ)]))
    assert verdicts(fails) == [False, False]


def test_fig14_claims():
    s = "invariance translation"
    holds = fig14.claims(lr_table([row(vgg(), {0.01: 0.6, 0.1: 0.5}, s, aug=1), row(CIFAR, {0.01: 0.6, 0.1: 0.3}, s, aug=1),
                                   row(vgg(), {0.01: 0.1, 0.1: 0.9}, s)]))  # runs without augmentation: ignored
    assert verdicts(holds) == [True, True] and [c.value for c in holds] == pytest.approx([-0.2, -0.2])
    assert stand_in_verdicts(holds) == ["holds on a stand-in"]
    fails = fig14.claims(lr_table([row(vgg(), {0.01: 0.5, 0.1: 0.6}, s, aug=1), row(CIFAR, {0.01: 0.5, 0.1: 0.7}, s, aug=1)]))
    assert verdicts(fails) == [False, False]


def budget_table(errors, train_loss=0.05):
    cols = {c: [] for c in ("model", "task", "group", "budget", "parameters", "epoch", "mean", "ci", "n", "train_loss")}
    for budget, error in errors.items():
        for c, v in zip(cols, ("VGG", "3 vs 8", "mnist", budget, budget * 0.95, 10, error, NAN, 1, train_loss)):
            cols[c].append(v)
    return {k: np.asarray(v) for k, v in cols.items()}


def test_fig15_claims():
    holds = fig15.claims(budget_table({60000: 0.03, 80000: 0.028, 100000: 0.025}))
    assert verdicts(holds) == [True] and holds[0].value == pytest.approx(0.005)
    assert verdicts(fig15.claims(budget_table({60000: 0.06, 80000: 0.04, 100000: 0.035}))) == [False]
    at_chance = fig15.claims(budget_table({60000: 0.5, 80000: 0.5, 100000: 0.5}, train_loss=0.69))
    assert at_chance[0].verdict == ("not tested: the network has not trained (largest training loss at the compared "
                                    "epochs 0.69, needs < 0.35)")


def test_fig15_table_is_the_mean_and_ci_over_seeds_of_each_budgets_error(tmp_path):
    runs = []
    for seed, accuracies in ((0, [0.5, 0.9, 0.96]), (1, [0.5, 0.8, 0.98])):
        path = tmp_path / f"seed{seed}.csv"
        path.write_text("epoch,train_loss,test_accuracy\n"
                        + "".join(f"{e},{0.7 - e / 20},{a}\n" for e, a in zip((0, 1, 10), accuracies)))
        runs.append(({"model": "VGG", "task": "3 vs 8", "group": "mnist", "budget": 60000, "parameters": 59000,
                      "seed": seed}, path))
    t = fig15.table({"metrics": runs}, {"epochs": [1, 10]})
    assert t["epoch"] == [1, 10] and t["n"] == [2, 2]
    assert t["mean"] == pytest.approx([0.15, 0.03]) and t["ci"] == pytest.approx([0.05, 0.01])  # sd/√n, ddof=1
    assert t["train_loss"] == pytest.approx([0.65, 0.2])


def test_fig16_claims():
    trained = [learned(vgg(), (0, 10), aug) for aug in (0, 1)]
    holds = fig16.claims(table([row(vgg(), {0: 0.5, 10: 0.05}, NET), row(vgg(), {0: 0.5, 10: 0.03}, NET, aug=1),
                                row(vgg(), {0: 0.5, 10: 0.04}, SVM), row(vgg(), {0: 0.5, 10: 0.03}, SVM, aug=1),
                                *trained], ci=0.001))
    assert verdicts(holds) == [True, True] and [c.value for c in holds] == pytest.approx([0.02, 0.01])
    fails = fig16.claims(table([row(vgg(), {0: 0.5, 10: 0.03}, NET), row(vgg(), {0: 0.5, 10: 0.05}, NET, aug=1),
                                row(vgg(), {0: 0.5, 10: 0.03}, SVM), row(vgg(), {0: 0.5, 10: 0.04}, SVM, aug=1),
                                *trained], ci=0.001))
    assert verdicts(fails) == [False, False]
    one_seed = fig16.claims(table([row(vgg(), {0: 0.5, 10: 0.05}, NET), row(vgg(), {0: 0.5, 10: 0.03}, NET, aug=1),
                                   *trained]))
    assert one_seed[0].verdict.startswith("not tested: the difference 0.02 cannot be resolved")


def test_every_figure_draws_its_axes_from_a_table():
    """Each plot names its axes (the workflow test checks the PDFs; this, the drawing code on odd tables)."""
    import matplotlib.pyplot as plt

    from ntkrepro import plotting

    epoch = table([row(s, {0: 0.5, 1: 0.4, 10: 0.3}, series, aug) for s in (vgg(), mlp(), CIFAR, MEGA)
                   for series in (SVM, NET, CONJ, "alignment", "invariance quadrant swap", "invariance translation",
                                  "invariance zoom", "invariance rotation") for aug in (0, 1)])
    lr = table([row(s, {0.01: 0.5, 0.1: 0.4}, series, aug) for s in (vgg(), mlp(), CIFAR)
                for series in (SVM, NET, CONJ, "alignment", "invariance quadrant swap", "invariance translation",
                               "invariance zoom", "invariance rotation") for aug in (0, 1)], x="lr")
    for module in (fig1, fig2, fig3, fig4, fig5, fig6, fig7, fig8, fig16):
        words = " | ".join(plotting.texts(module.plot(epoch, "title")))
        assert "epochs" in words, module.__name__
        plt.close("all")
    for module in (fig9, fig10, fig11, fig12, fig13, fig14):
        words = " | ".join(plotting.texts(module.plot(lr, "title")))
        assert "learning rate" in words, module.__name__
        plt.close("all")
    words = " | ".join(plotting.texts(fig15.plot(budget_table({60000: 0.03, 100000: 0.02}), "title")))
    assert "parameters" in words and "test error" in words


# ---- plans ----------------------------------------------------------------------------------------

def load(path):
    return yaml.safe_load((ROOT / path).read_text())


def merged(*paths):
    from snakemake.utils import update_config

    config = load("config/config.yaml")
    for path in paths:
        update_config(config, load(path))
    return config


def plan(config):
    return Plan(cfg.validate(config, SCHEMA), PAPERS)


def test_default_plan_names_the_stand_in_and_builds_every_figure():
    p = plan(merged())
    figures = p.paper_figures("long2021")
    assert [f.key for f in figures] == [f"fig{n}" for n in range(1, 17)]
    assert p.targets("long2021")[-2:] == ["figures/long2021/claims.md", "figures/long2021/claims.csv"]
    assert "figures/long2021/fig16.pdf" in p.targets("long2021")
    assert "stand-in" in p.scale("long2021") or "mnist-5k" in p.scale("long2021")
    # the CIFAR-10 panels: class 4 vs 9 of the default dataset, in [0, 1] pixels
    assert "mnist-5k-raw" in p.datasets and p.datasets["mnist-5k-raw"]["normalize"] is False
    runs = {(r.task, r.model) for r in p.runs()}
    assert ("4v9-n256", "long-vgg") in runs and ("3v8-n256", "long-mega-vgg") in runs
    assert ("4v9-n256", "long-mlp") not in runs  # the fully connected network is an MNIST panel only


def test_cifar10_dataset_gives_cat_vs_dog():
    config = merged("config/cifar10.yaml")
    p = plan(config)
    assert {r.task for r in p.runs() if r.model == "long-vgg"} >= {"3v5-n256"}
    fig1 = next(f for f in p.paper_figures("long2021") if f.key == "fig1")
    assert fig1.labels["eval"][-1]["task"] == "cat vs dog"


def test_paper_plan_has_the_papers_sizes():
    p = plan(merged("config/paper.yaml"))
    runs = p.runs()
    seeds = {r.seed for r in runs if r.model == "long-vgg"}
    assert len(seeds) == 10
    tasks = {(r.dataset, r.task) for r in runs}
    assert ("mnist-raw", "3v8") in tasks and ("cifar10-full-raw", "3v5") in tasks
    lrs = {p.recipes[r.recipe]["lr"] for r in runs if p.recipes[r.recipe].get("until_loss")}
    assert lrs == {0.001, 0.003, 0.01, 0.03, 0.1, 0.02, 0.04}
    epochs = {e for r in runs if r.recipe == "long2021" for e in p.checkpoints(r)}
    assert epochs == {0, 1, 3, 10, 30, 100, 200}
    assert p.model_spec("long-mega-vgg")["options"]["budget"] == 1e6


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda c: c["long2021"].update(pairs=[[3, 3]]), "'long2021.pairs.0': a pair needs two different classes"),
        (lambda c: c["long2021"]["cifar"].update(dataset="cifar"), "'long2021.cifar.dataset': 'cifar' is not a configured dataset"),
        (lambda c: c["long2021"].update(dataset="mnist"), "'long2021.dataset': 'mnist' is not a configured dataset"),
        (lambda c: c["long2021"]["lr"].update(recipe="long2021"), "'long2021.lr.recipe': recipe 'long2021' has no until_loss"),
        (lambda c: c["long2021"].update(epochs=[0, 1, 300]), "'long2021.epochs': epoch 300 is beyond the 10 epochs of recipe"),
        (lambda c: c["long2021"]["fig3"].update(epochs=[0, 50]), "'long2021.fig3.epochs': epoch 50 is beyond"),
        (lambda c: c["long2021"].update(models={"vgg": "vgg16"}), "'long2021.models.vgg': model 'vgg16' is not defined"),
        (lambda c: c["long2021"]["fig15"].update(epochs=[0, 10]), "'long2021.fig15.epochs': epochs must lie in 1..10 (the recipe's)"),
        (lambda c: c["long2021"].update(pairs=[[3, 10]]), "'long2021.pairs.0.1'"),
        (lambda c: c["long2021"].update(recipe="long2021-until"), "'long2021.recipe': recipe 'long2021-until' stops at a"),
    ],
)
def test_bad_long2021_configs_name_the_key(edit, message):
    config = load("config/config.yaml")
    edit(config)
    with pytest.raises(ConfigError) as e:
        plan(config)
    assert message in str(e.value)


def test_an_evaluation_reads_a_kernel_of_all_or_test_samples():
    from ntkrepro.pipeline import Evaluation, Kernel, State

    p = plan(merged())
    state = State("mnist-5k-raw", "long-vgg", 42)
    assert p.path(Evaluation(Kernel(state, "3v8-n256", "all"), "3v8-n256")) == (
        "results/evaluation/mnist-5k-raw/3v8-n256/all/long-vgg-seed42/init/ntk/3v8-n256~conjugate.csv")
    with pytest.raises(ConfigError, match="split all"):
        p.path(Evaluation(Kernel(state, "3v8-n256", "train"), "3v8-n256"))
    with pytest.raises(ConfigError, match="other kinds"):
        p.path(Evaluation(Kernel(state, "3v8-n256", "test"), "3v8-n256", ("nonsense",)))
