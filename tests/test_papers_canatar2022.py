"""Canatar & Pehlevan 2022: the residual CNN's shape and skip switch, the layer kernels of one pass
against the engine's per-module kernels and the file that holds them, the grid expansion, the run
selection, the plan of the default and paper configurations, bad keys named, and every claim's
verdict on tables that follow the paper and on tables that contradict it."""

import re

import numpy as np
import pytest
import torch
import yaml

from ntkrepro import analysis, ntk
from ntkrepro import config as cfg
from ntkrepro.errors import ConfigError
from ntkrepro.models import build_model, initialize
from ntkrepro.ntk import probes
from ntkrepro.papers import load_all
from ntkrepro.papers.canatar2022 import common, fig1, fig2, fig6, table1
from ntkrepro.pipeline import grid
from ntkrepro.pipeline.plan import Plan

from test_config import ROOT, SCHEMA, merged

PAPERS = load_all()

LAYERS = ["conv2", "block1.conv3", "block1.conv4", "conv5", "block2.conv6", "block2.conv7", "conv8",
          "block3.conv9", "block3.conv10", "conv11"]


def toy_net(skip=True, widths=(2, 3, 4, 5, 6), shape=(1, 12, 12)):
    model = build_model("rescnn11", shape, {"conv_widths": list(widths), "skip": skip, "outputs": 10})
    initialize(model, "lecun-normal", 0)
    return model


# ---- network --------------------------------------------------------------------------------------


def test_rescnn11_has_11_convolutions_3_pools_and_a_skip_switch():
    model = toy_net()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 11 and [c.out_channels for c in convs] == [2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6]
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in model.modules()) == 3
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == 11
    x = torch.randn(4, 1, 12, 12)
    assert model(x).shape == (4, 10)
    plain = toy_net(skip=False)
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(plain.eval()(x), model.eval()(x))  # the skip switch changes the function


def test_probed_layers_feature_sizes_follow_widths_and_pooling():
    model, x = toy_net(), torch.randn(3, 1, 12, 12)
    sizes = probes.feature_sizes(model, x, LAYERS, pooling="max")
    assert list(sizes.values()) == [3, 3, 3, 4, 4, 4, 5, 5, 5, 6]  # N_ℓ: channels
    flat = probes.feature_sizes(model, x, LAYERS, pooling="none")
    assert flat["conv2"] == 3 * 12 * 12 and flat["conv5"] == 4 * 6 * 6 and flat["conv11"] == 6 * 1 * 1


def test_layer_kernels_of_one_pass_equal_the_engines_per_module_kernels(tmp_path):
    model, x = toy_net(), torch.randn(7, 1, 12, 12)
    kernels = probes.layer_kernels(model, x, LAYERS, pooling="none", batch_size=3)
    assert list(kernels) == ["input"] + [f"module:{n}" for n in LAYERS]
    path = tmp_path / "layers.h5"
    probes.write_layer_kernels(path, kernels, meta={"pooling": "none"}, arrays={"labels": np.arange(7)})
    assert probes.layer_kinds(path) == list(kernels)
    for kind in kernels:
        want = ntk.kernel(model, x, kind=kind).double().numpy()
        got = probes.read_layer_kernels(path, kind)
        assert got.dtype == np.float64 and np.allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max()), kind
    arrays, meta = probes.read_layer_arrays(path)
    assert meta == {"pooling": "none"} and list(arrays["labels"]) == list(range(7))
    with pytest.raises(KeyError, match="module:head"):
        probes.read_layer_kernels(path, "module:head")


def test_pooled_layer_kernels_are_the_gram_of_pooled_outputs():
    model, x = toy_net(), torch.randn(5, 1, 12, 12)
    seen = {}
    module = dict(model.named_modules())["block2.conv7"]
    handle = module.register_forward_hook(lambda m, i, o: seen.setdefault("o", o.detach()))
    model.eval()(x)
    handle.remove()
    for pooling, f in (("mean", seen["o"].mean(dim=(2, 3))), ("max", seen["o"].amax(dim=(2, 3)))):
        k = probes.layer_kernels(model, x, ["block2.conv7"], pooling=pooling)["module:block2.conv7"]
        f = f.double()
        assert np.allclose(k, (f @ f.T).numpy(), rtol=1e-6)


def test_bad_probes_are_refused_by_name():
    model, x = toy_net(), torch.randn(2, 1, 12, 12)
    with pytest.raises(ValueError, match="no module 'conv12'"):
        probes.layer_kernels(model, x, ["conv12"])
    with pytest.raises(ValueError, match="unknown pooling 'sum'"):
        probes.layer_kernels(model, x, ["conv2"], pooling="sum")
    with pytest.raises(ValueError, match="called 2 times"):
        probes.layer_kernels(Twice(), torch.randn(2, 4), ["lin"])


class Twice(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, z):
        return self.lin(self.lin(z))


# ---- the grid and the selection -------------------------------------------------------------------


def test_grid_expansion_is_every_combination_once():
    axes = {"skip": [True, False], "augmentation": [True, False], "batch_size": [1, 2, 3],
            "optimizer": ["sgd", "momentum"], "lr": [0.1, 0.2]}
    configs = grid.expand(axes)
    assert len(configs) == 48 and len({tuple(c.values()) for c in configs}) == 48
    assert configs[0] == {"skip": True, "augmentation": True, "batch_size": 1, "optimizer": "sgd", "lr": 0.1}
    assert configs[-1] == {"skip": False, "augmentation": False, "batch_size": 3, "optimizer": "momentum", "lr": 0.2}
    with pytest.raises(ConfigError, match=r"'canatar2022.grid.lr'.*non-empty"):
        grid.expand({"lr": []}, "canatar2022.grid")
    with pytest.raises(ConfigError, match=r"'g.lr': values repeat"):
        grid.expand({"lr": [0.1, 0.1]}, "g")


def test_run_selection_keeps_models_strictly_above_the_threshold():
    kept = common.select([0.99, 0.95, 0.951, float("nan"), 0.2], 0.95)
    assert kept.tolist() == [True, False, True, False, False]


def plan(**paper):
    config = merged("config/config.yaml")
    config["canatar2022"] = {**config["canatar2022"], **paper}
    return Plan(cfg.validate(config, SCHEMA), PAPERS)


def test_default_config_declares_48_runs_and_one_layer_kernel_file_each():
    p = plan()
    fig = next(f for f in p.figures if f.item == "canatar2022/fig1")
    assert len(fig.inputs["metrics"]) == 48 and len(fig.inputs["kernels"]) == 2 * 48  # a training, a test file
    assert len({lab["config"] for lab in fig.labels["kernels"]}) == 48
    assert {lab["split"] for lab in fig.labels["kernels"]} == {"train", "test"}
    assert all(path.startswith("results/layer-kernels/") for path in fig.inputs["kernels"])
    (probe,) = p.probes.values()
    assert probe == {"modules": config_layers(), "pooling": "max"}
    runs = [r for r in p.runs() if r.model.startswith("rescnn11")]
    skips = {p.model_spec(r.model)["options"]["skip"] for r in runs}
    momenta = {p.recipe(r.recipe).momentum for r in runs}
    assert skips == {True, False} and momenta == {0.0, 0.9} and len(runs) == 48


def config_layers():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())["canatar2022"]["layers"]


def test_paper_config_plans_the_papers_grid():
    config = merged("config/paper.yaml")
    p = Plan(cfg.validate(config, SCHEMA), PAPERS)
    runs = [r for r in p.runs() if r.model.startswith("rescnn11")]
    assert len(runs) == 48 and {p.recipe(r.recipe).epochs for r in runs} == {5000}
    assert {p.recipe(r.recipe).batch_size for r in runs} == {512, 2048, 4096}
    assert {r.dataset for r in runs} == {"cifar10-full"}
    assert p.model_spec(runs[0].model)["options"]["conv_widths"] == [64, 128, 256, 512, 256]


@pytest.mark.parametrize("edits, message", [
    ({"train_samples": 10**6}, "canatar2022.train_samples': 1000000"),
    ({"train_samples": 500, "kernel_train_samples": 100}, "canatar2022.kernel_train_samples'"),
    ({"model": "lenet5"}, "canatar2022.model': model 'lenet5' is not a rescnn11"),
    ({"model": "nope"}, "canatar2022.model': model 'nope' is not defined"),
])
def test_bad_configs_name_the_key(edits, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        plan(**edits)


# ---- claims on hand-made tables -------------------------------------------------------------------


def grid_rows(models):
    """A grid table as the CSV holds it, from {config: (axes, train acc, test acc, train, test, input CKA)}."""
    cols = {k: [] for k in ("config", *common.AXES, "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                            "kept", "layer", "module", "cka_train", "cka_test", "cka_input")}
    for name, (axes, tr, te, ck_tr, ck_te, ck_in) in models.items():
        for i in range(len(ck_tr)):
            for a in common.AXES:
                cols[a].append(axes[a])
            cols["config"].append(name)
            cols["train_loss"].append(1 - tr)
            cols["test_loss"].append(1 - te)
            cols["train_accuracy"].append(tr)
            cols["test_accuracy"].append(te)
            cols["kept"].append(float(tr > 0.95))
            cols["layer"].append(i + 1)
            cols["module"].append(f"m{i}")
            cols["cka_train"].append(ck_tr[i])
            cols["cka_test"].append(ck_te[i])
            cols["cka_input"].append(ck_in[i])
    return {k: np.asarray(v) for k, v in cols.items()}


def holding():
    """Models as the paper describes them: CKA rising with depth, momentum highest, accuracy spread
    and tracking the layer-averaged CKA, augmentation helping; one model below the threshold."""
    rng = np.random.default_rng(0)
    models = {}
    for k in range(8):
        mom, aug = k % 2, (k // 2) % 2
        acc = 0.55 + 0.05 * k
        depth = np.linspace(0.1, 0.5 + 0.3 * acc + 0.1 * mom, 10)
        axes = {"skip": k // 4, "augmentation": aug, "batch_size": 32 * (1 + k % 3),
                "optimizer": "momentum" if mom else "sgd", "lr": 0.05 * (1 + k % 2)}
        noise = rng.normal(0, 0.005, 10)
        models[f"m{k}"] = (axes, 0.99, acc + 0.1 * aug, depth, depth * 0.9 + noise, depth[::-1])
    models["dropped"] = (axes, 0.5, 0.1, np.ones(10), np.ones(10), np.ones(10))
    return grid_rows(models)


def failing():
    """The opposite: CKA falling with depth, accuracies within 1 pp, train and test CKA unrelated."""
    rng = np.random.default_rng(1)
    models = {}
    for k in range(8):
        axes = {"skip": k % 2, "augmentation": (k // 2) % 2, "batch_size": 32, "optimizer": "sgd" if k % 2 else "momentum",
                "lr": 0.05}
        down = (np.linspace(0.9, 0.1, 10) + rng.normal(0, 0.01, 10)) * (1 if k % 2 else 0.5)
        # test CKA: rising over the first layers while training CKA falls, and averaged over layers
        # falling with accuracy while the last layer's rises
        test = np.append((1 - 0.1 * k) * (0.5 + 0.05 * np.arange(9)), 0.1 + 0.05 * k)
        models[f"m{k}"] = (axes, 0.99, 0.9 + 0.001 * k - 0.005 * axes["augmentation"], down, test, down[::-1])
    return grid_rows(models)


@pytest.mark.parametrize("module", [fig1, fig2, fig6])
def test_figure_claims_hold_on_the_papers_pattern_and_fail_on_its_opposite(module):
    good, bad = module.claims(holding()), module.claims(failing())
    assert all(c.holds is True for c in good), [(c.claim, c.value) for c in good if c.holds is not True]
    assert all(c.holds is False for c in bad), [(c.claim, c.value) for c in bad if c.holds is not False]


def test_table1_correlations_claims_and_markdown(tmp_path):
    good = holding()
    ms = list(common.models(good).values())
    assert len(ms) == 8  # the model below the threshold is dropped
    t = table1_from(good)
    r = table1.value(t, "Acc.", "Test Acc.")
    assert r == pytest.approx(1.0)
    assert table1.value(t, "Aug.", "Test Acc.") == pytest.approx(np.corrcoef([m["augmentation"] for m in ms],
                                                                             [m["test_accuracy"] for m in ms])[0, 1])
    verdicts = [c.holds for c in table1.claims(t)]
    assert verdicts[0] is True  # augmentation helps test accuracy
    bad = [c.holds for c in table1.claims(table1_from(failing()))]
    assert bad[0] is False and bad[1] is False
    md = table1.markdown(t)
    assert "| Aug. |" in md and "(0.806)" in md and "Over 8 kept models" in md


def table1_from(t):
    ms = list(common.models(t).values())
    v = table1.variables(ms)
    cols = {"row": [], "column": [], "r": [], "paper": [], "models": []}
    for row in table1.ROWS:
        for j, col in enumerate(table1.COLUMNS):
            cols["row"].append(row)
            cols["column"].append(col)
            cols["r"].append(common.pearson(v[row], v["Acc." if col == "Test Acc." else col]))
            cols["paper"].append(table1.PAPER[row][j])
            cols["models"].append(len(ms))
    return {k: np.asarray(v) for k, v in cols.items()}


def test_layer_measures_of_the_files_against_direct_cka(tmp_path):
    model, x = toy_net(), torch.randn(12, 1, 12, 12)
    labels = np.arange(12) % 3
    paths = {}
    for split, rows in (("train", slice(0, 8)), ("test", slice(8, 12))):
        paths[split] = tmp_path / f"{split}.h5"
        probes.write_layer_kernels(paths[split], probes.layer_kernels(model, x[rows], LAYERS[:3], pooling="max"),
                                   arrays={"labels": labels[rows]}, dtype=np.float32)
    m = common.layer_measures(paths["train"], paths["test"], LAYERS[:3])
    k = probes.layer_kernels(model, x, LAYERS[:3], pooling="max")
    y = np.eye(3)[labels]
    km = k["module:block1.conv3"]
    assert m["cka_train"][1] == pytest.approx(analysis.cka(km[:8, :8], y[:8]), rel=1e-5)
    assert m["cka_test"][1] == pytest.approx(analysis.cka(km[8:, 8:], y[8:]), rel=1e-5)
    assert m["cka_input"][1] == pytest.approx(analysis.cka(km[:8, :8], k["input"][:8, :8]), rel=1e-5)
    assert probes.read_layer_kernels(paths["train"], "input").dtype == np.float64  # stored float32


# ---- the toy build through the workflow ------------------------------------------------------------


@pytest.mark.workflow
def test_toy_build_through_the_workflow(tmp_path):
    """The test configuration's 4-run grid alone: every item, layer-kernel files (training and test
    samples) holding every probed layer and the input kernel, and a scorecard line per claim."""
    from ntkrepro import io
    from workflow_helpers import copy_workflow, pdf_keywords, snakemake

    work = copy_workflow(tmp_path / "canatar")
    (work / "only.yaml").write_text(yaml.safe_dump({key: {"enabled": False} for key in PAPERS if key != "canatar2022"}))
    snakemake(work, "canatar2022", "--configfile", ".test/config.yaml", "only.yaml")
    out = work / "figures/canatar2022"
    files = sorted((work / "results/layer-kernels").rglob("*.h5"))
    assert len(files) == 2 * 4  # the training and the test samples of each run's final state
    layers = yaml.safe_load((work / "config/config.yaml").read_text())["canatar2022"]["layers"]
    assert probes.layer_kinds(files[0]) == ["input"] + [f"module:{n}" for n in layers]
    assert {probes.read_layer_kernels(f, "module:conv11").shape for f in files} == {(48, 48), (32, 32)}
    t = io.read_csv(out / "fig1.csv")
    assert len(t["config"]) == 4 * len(layers) and set(t["kept"]) == {1}
    assert "layer" in pdf_keywords(out / "fig1.pdf")
    assert "(0.806)" in (out / "table1.md").read_text()
    claims = io.read_csv(out / "claims.csv", labels=("figure",))
    assert len(claims["claim"]) == sum(len(m.claims(common_table)) for m, common_table in
                                       ((fig1, t), (fig2, t), (fig6, t), (table1, io.read_csv(out / "table1.csv"))))
