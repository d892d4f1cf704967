"""Vyas et al. 2022: kernel regression on nested subsets of one kernel against direct fits, the exponent
columns, every claim's verdict on hand-made tables where it holds and where it fails, the three
configurations' plans, bad configurations named by their key, and the paper's four figures built
through the workflow on toy data (values recomputed from the files it wrote)."""

import numpy as np
import pytest
import torch
import yaml

from ntkrepro import config as cfg
from ntkrepro import fits, infinite, io, ntk, rebuild, tasks
from ntkrepro.data import Dataset
from ntkrepro.errors import ConfigError
from ntkrepro.papers import load_all
from ntkrepro.papers.vyas2022 import common, fig1, fig2, fig3, fig4
from ntkrepro.papers.vyas2022.common import ENTK, INFINITE, NETWORK
from ntkrepro.pipeline.plan import Plan

from test_config import ROOT, SCHEMA, edited, merged

PAPERS = load_all()
SEEDS = (0, 1, 2)
SIZES = (100, 200, 400, 800)


def as_csv(columns, tmp_path, name="t"):
    """A table as the plot and claims rules see it: written and read back as CSV."""
    io.write_csv(columns, tmp_path / f"{name}.csv")
    return io.read_csv(tmp_path / f"{name}.csv")


def verdicts(module, t):
    return [c.verdict for c in module.claims(t)]


def power_rows(predictor, alpha, ridges=(None,), noise=0.02, **labels):
    """Rows whose test error and MSE fall as n^-alpha, with a small seed-dependent wobble."""
    rows = []
    for s in SEEDS:
        for n in SIZES:
            wobble = 1 + noise * np.sin(3 * s + n)
            for r in ridges:
                rows.append({"predictor": predictor, "seed": s, "n": n, "ridge": float("nan") if r is None else r,
                             "test_error": 0.5 * n ** -alpha * wobble, "test_mse": 2.0 * n ** -alpha * wobble, **labels})
    return rows


# ---- kernel regression on nested subsets -----------------------------------------------------------


def subsets(pool_classes, sizes, seed=0):
    y_test = torch.arange(7) % 10
    return {n: tasks.build(f"cifar2-p{n}", pool_classes, y_test, seed=seed) for n in sizes}


def test_regression_on_nested_subsets_is_kernel_regression_on_each_block():
    g = np.random.default_rng(0)
    classes = torch.from_numpy(g.integers(0, 10, 40))
    by_n = subsets(classes, (10, 20, 40))
    x = g.standard_normal((47, 5))
    K = x @ x.T + 0.1 * np.eye(47)  # rows: the 40 training samples of the largest subset, then 7 test
    rows = common.regression_curve(K, by_n, [0.0, 0.01], True)
    assert [(r["n"], r["ridge"]) for r in rows] == [(10, 0.0), (10, 0.01), (20, 0.0), (20, 0.01), (40, 0.0), (40, 0.01)]
    idx = by_n[20]["train_indices"].numpy()  # pool = all 40, so positions are the indices themselves
    y = by_n[20]["y_train"].numpy().astype(float)
    block = K[np.ix_(idx, idx)]
    direct = fits.kernel_regression(block, y, K[np.ix_(np.arange(40, 47), idx)], ridge=0.01 * np.mean(np.diag(block)))
    y_test = by_n[40]["y_test"].numpy()
    want = common.predictions_error(direct.test_predictions, y_test, True)
    assert (rows[3]["test_error"], rows[3]["test_mse"]) == pytest.approx(want, rel=1e-12)
    assert want[1] == pytest.approx(np.mean((direct.test_predictions - y_test) ** 2))


def test_an_offset_is_the_linearized_predictor_around_the_outputs():
    g = np.random.default_rng(3)
    classes = torch.from_numpy(g.integers(0, 10, 20))
    by_n = subsets(classes, (10, 20))
    x = g.standard_normal((27, 4))
    K, f = x @ x.T, g.standard_normal(27)
    (row,) = common.regression_curve(K, by_n, [0.0], True, [10], offsets=f)
    idx, test = by_n[10]["train_indices"].numpy(), np.arange(20, 27)
    y = by_n[10]["y_train"].numpy().astype(float)
    solve = fits.linearized_solve(K[np.ix_(np.r_[idx, test], np.r_[idx, test])], f[np.r_[idx, test]], y, len(idx))
    want = common.predictions_error(solve.test_predictions, by_n[20]["y_test"].numpy(), True)
    assert (row["test_error"], row["test_mse"]) == pytest.approx(want)
    (plain,) = common.regression_curve(K, by_n, [0.0], True, [10])
    assert plain["test_mse"] != pytest.approx(row["test_mse"])


def test_multiclass_regression_fits_one_hot_targets():
    g = np.random.default_rng(2)
    classes = torch.from_numpy(g.integers(0, 10, 30))
    by_n = {n: tasks.build(f"classes-p{n}", classes, torch.arange(7) % 10, seed=0) for n in (15, 30)}
    x = g.standard_normal((37, 6))
    K = x @ x.T
    (row,) = common.regression_curve(K, by_n, [0.0], False, [15])
    idx = by_n[15]["train_indices"].numpy()
    direct = fits.kernel_regression(K[np.ix_(idx, idx)], np.eye(10)[by_n[15]["y_train"].numpy()],
                                    K[np.ix_(np.arange(30, 37), idx)])
    want = common.predictions_error(direct.test_predictions, np.arange(7), False)
    assert (row["test_error"], row["test_mse"]) == pytest.approx(want)


def test_a_multiclass_task_asks_for_trace_kernels_and_one_output_per_class():
    plan = Plan(cfg.validate(with_vyas(**{"vyas2022.task": "classes"}), SCHEMA), PAPERS)
    inputs = plan.figure("vyas2022/fig1").inputs["kernels"]
    assert {p.rsplit("/", 1)[1] for p in inputs} == {"ntk-trace.h5", "infinite-ntk.h5"}
    assert {plan.model_spec(r.model)["options"]["outputs"] for r in plan.runs() if r.model.startswith("vyas")} == {10}


def test_an_offset_asks_for_the_outputs_of_each_empirical_kernels_state():
    plan = Plan(cfg.validate(with_vyas(**{"vyas2022.offset": True}), SCHEMA), PAPERS)
    for key in ("fig1", "fig3", "fig4"):
        f = plan.figure(f"vyas2022/{key}")
        empirical = [lab for lab in f.labels["kernels"] if lab["kind"] != "infinite-ntk"]
        assert [lab["offset"] for lab in empirical] == list(range(len(f.inputs["outputs"])))
        assert all(p.startswith("results/outputs/") for p in f.inputs["outputs"])
    default = Plan(cfg.validate(with_vyas(), SCHEMA), PAPERS).figure("vyas2022/fig1")
    assert "outputs" not in default.inputs


def test_subsets_that_are_not_nested_are_refused():
    g = np.random.default_rng(1)
    classes = torch.from_numpy(g.integers(0, 10, 40))
    by_n = {**subsets(classes, (40,)), 10: tasks.build("cifar2-n10", classes, torch.arange(7) % 10, seed=0)}
    by_n[40] = {**by_n[40], "train_indices": by_n[40]["train_indices"][:30], "y_train": by_n[40]["y_train"][:30]}
    with pytest.raises(ConfigError, match="not nested"):
        common.regression_curve(np.eye(37), by_n, [0.0], True)


def test_multiclass_errors_use_the_arg_max_and_one_hot_mse():
    pred = np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.5]])
    error, mse = common.predictions_error(pred, np.array([0, 1]), False)
    assert error == 0.5 and mse == pytest.approx(np.mean((pred - np.array([[1, 0, 0], [0, 1, 0]])) ** 2))


def test_exponent_columns_recover_the_power_law_per_group():
    rows = power_rows(NETWORK, 0.5) + power_rows(ENTK, 0.2, ridges=(0.0, 0.01))
    t = common.with_exponents(rows, ("predictor", "ridge"), 0.95)
    found = common.exponents(as_csv_dict(t))
    assert found[(NETWORK, "nan")][0] == pytest.approx(0.5, abs=0.02)
    assert found[(ENTK, 0.0)][0] == pytest.approx(0.2, abs=0.02) and (ENTK, 0.01) in found
    low, high = found[(NETWORK, "nan")][1:]
    assert low < 0.5 < high


def as_csv_dict(columns):
    return {k: np.array(v) for k, v in columns.items()}


# ---- claims on hand-made tables ---------------------------------------------------------------------


def fig1_table(tmp_path, alpha_net, alpha_kernels):
    rows = power_rows(NETWORK, alpha_net) + power_rows(ENTK, alpha_kernels, ridges=(0.0,))
    rows += power_rows(INFINITE, alpha_kernels, ridges=(0.0,))
    return as_csv(common.with_exponents(rows, fig1.KEYS, 0.95), tmp_path)


def test_figure_1_claims(tmp_path):
    assert verdicts(fig1, fig1_table(tmp_path, 0.5, 0.2)) == ["holds"] * 4
    assert verdicts(fig1, fig1_table(tmp_path, 0.2, 0.5)) == ["does not hold"] * 4
    # equal exponents: the intervals overlap, so "by more than the intervals" fails
    assert verdicts(fig1, fig1_table(tmp_path, 0.3, 0.3)) == ["does not hold"] * 4


def fig2_table(tmp_path, alpha_net, alpha_entk, distance_exponent):
    rows = []
    for w, a_k in zip((64, 256, 1024), alpha_entk):
        rows += power_rows(NETWORK, alpha_net, width=w)
        for r in power_rows(ENTK, a_k, ridges=(0.0,), width=w):
            d = w ** distance_exponent
            rows.append({**r, "relative_distance": d, "kernel_distance": d / 10})
    rows = [{"relative_distance": float("nan"), "kernel_distance": float("nan"), **r} for r in rows]
    rows += [{**r, "relative_distance": float("nan"), "kernel_distance": float("nan")}
             for r in power_rows(INFINITE, 0.3, ridges=(0.0,), width=float("nan"))]
    return as_csv(common.with_exponents(rows, fig2.KEYS, 0.95), tmp_path)


UNTESTED_WIDTH = ("not tested: the paper's sentence stating it is cut off in every available copy, so no statistic "
                  "can be chosen for it")


def test_figure_2_claims(tmp_path):
    good = fig2_table(tmp_path, 0.5, (0.1, 0.2, 0.28), -0.5)
    assert verdicts(fig2, good) == ["holds", "holds", "holds", UNTESTED_WIDTH]
    bad = fig2_table(tmp_path, 0.2, (0.29, 0.2, 0.1), 0.2)
    assert verdicts(fig2, bad) == ["does not hold", "does not hold", "does not hold", UNTESTED_WIDTH]


def fig3_table(tmp_path):
    rows = power_rows(NETWORK, 0.5) + power_rows(ENTK, 0.2, ridges=(0.0,))
    rows += power_rows(fig3.pretrained(100), 0.3, ridges=(0.0,)) + power_rows(fig3.pretrained(400), 0.6, ridges=(0.0,))
    return as_csv(common.with_exponents(rows, fig3.KEYS, 0.95), tmp_path)


def test_figure_3_claims(tmp_path):
    t = fig3_table(tmp_path)
    assert verdicts(fig3, t) == ["holds", "does not hold"]  # n0 = 400 catches up (and overtakes)
    assert "n0=100" in fig3.claims(t)[0].claim


def fig4_table(tmp_path, distances, errors, alpha_final):
    rows = []
    for s in SEEDS:
        for e, d, err in zip((0, 1, 2, 4, 8), distances, errors):
            rows.append({"part": fig4.EVOLUTION, "predictor": f"eNTK epoch {e}", "seed": s, "epoch": e, "n": 800,
                         "ridge": 0.0, "test_error": err, "test_mse": 2 * err, "distance_final": d,
                         "distance_previous": float("nan")})
    curve = power_rows(NETWORK, 0.5) + power_rows(fig4.FINAL, alpha_final, ridges=(0.0,))
    rows += [{"part": fig4.CURVE, "epoch": 8, "distance_final": float("nan"), "distance_previous": float("nan"), **r}
             for r in curve]
    return as_csv(common.with_exponents(rows, ("part", "predictor", "ridge"), 0.95), tmp_path)


def test_figure_4_claims(tmp_path):
    changing = fig4_table(tmp_path, (0.4, 0.3, 0.25, 0.1, 0.0), (0.3, 0.25, 0.2, 0.15, 0.1), 0.5)
    assert verdicts(fig4, changing) == ["holds", "holds", "holds"]
    assert "mid = epoch 4 of 8" in fig4.claims(changing)[0].statistic
    # Fort et al.'s picture: the kernel settles in the first epoch and its predictor stops improving
    settled = fig4_table(tmp_path, (0.4, 0.01, 0.01, 0.01, 0.0), (0.3, 0.2, 0.2, 0.2, 0.2), 0.1)
    assert verdicts(fig4, settled) == ["does not hold"] * 3


# ---- configuration ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["config/config.yaml", "config/paper.yaml", ".test/config.yaml"])
def test_every_configuration_plans_the_four_figures(path):
    config = cfg.validate(merged(path), SCHEMA)
    plan = Plan(config, PAPERS)
    assert {f.item for f in plan.paper_figures("vyas2022")} == {f"vyas2022/fig{i}" for i in (1, 2, 3, 4)}
    assert "figures/vyas2022/claims.md" in plan.targets("vyas2022")
    runs = [r for r in plan.runs() if r.model.startswith(config["vyas2022"]["model"])]
    sizes = {tasks.parse(r.task).subset for r in runs}
    assert set(config["vyas2022"]["sizes"]) <= sizes and all(tasks.parse(r.task).nested for r in runs)
    steps = {plan.recipe(r.recipe).epochs * (tasks.parse(r.task).subset // plan.recipe(r.recipe).batch_size)
             for r in runs}
    assert min(steps) >= config["vyas2022"]["steps"]  # every run takes at least the configured steps


def with_vyas(**edits):
    return edited("config/config.yaml", **edits)


@pytest.mark.parametrize(
    "edits,message",
    [
        ({"vyas2022.model": "mlp"}, "config key 'vyas2022.model': model 'mlp' has arch 'mlp'"),
        ({"vyas2022.model": "nope"}, "config key 'vyas2022.model': model 'nope' is not defined"),
        ({"vyas2022.sizes": [125, 5000]}, "config key 'vyas2022.sizes': 5000 training samples"),
        ({"vyas2022.sizes": [32, 125]}, "config key 'vyas2022.sizes': 32 training samples, fewer than the recipe's"),
        ({"vyas2022.task": "cifar2-n100"}, "config key 'vyas2022.task': 'cifar2-n100' must be"),
        ({"vyas2022.fig4": {"n": 300}}, "config key 'vyas2022.fig4.n': 300 is not one of vyas2022.sizes"),
        ({"vyas2022.fig3": {"n0": [9000]}}, "config key 'vyas2022.fig3.n0': 9000 samples"),
        ({"vyas2022.recipe": "ortiz2021"}, "config key 'vyas2022.recipe': recipe 'ortiz2021' trains with loss 'logistic'"),
    ],
)
def test_bad_configs_name_the_key(edits, message):
    with pytest.raises(ConfigError) as e:
        Plan(cfg.validate(with_vyas(**edits), SCHEMA), PAPERS)
    assert message in str(e.value), str(e.value)


def test_no_config_key_goes_undocumented():
    text = (ROOT / "config/README.md").read_text()
    section = yaml.safe_load((ROOT / "config/config.yaml").read_text())["vyas2022"]
    keys = set(section) | {k for sub in section.values() if isinstance(sub, dict) for k in sub}
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, missing
    assert "`-p<size>`" in text and "`infinite-ntk`" in text


# ---- the workflow on toy data -----------------------------------------------------------------------


@pytest.mark.workflow
def test_the_papers_figures_through_the_workflow(tmp_path):
    """`snakemake vyas2022` on .test/config.yaml: every figure, its CSV and the scorecard; Figure 1's
    eNTK and infinite-NTK rows recomputed from the files the workflow wrote."""
    from workflow_helpers import copy_workflow, snakemake

    work = copy_workflow(tmp_path / "work")
    snakemake(work, "vyas2022", "--configfile", ".test/config.yaml")
    out = work / "figures/vyas2022"
    for i in (1, 2, 3, 4):
        assert (out / f"fig{i}.pdf").stat().st_size > 0
    card = (out / "claims.md").read_text()
    assert all(f"| {i} |" in card for i in (1, 2, 3, 4)) and UNTESTED_WIDTH in card
    t = io.read_csv(out / "fig1.csv")
    toy = yaml.safe_load((ROOT / ".test/config.yaml").read_text())["vyas2022"]
    assert set(t["predictor"].tolist()) == {NETWORK, ENTK, INFINITE} and set(t["n"].tolist()) == set(toy["sizes"])

    seed, n, big = 1, toy["sizes"][1], toy["sizes"][-1]
    pool = io.load_torch(work / f"results/tasks/synthetic/seed{seed}/cifar2-p{big}.pt")
    sub = io.load_torch(work / f"results/tasks/synthetic/seed{seed}/cifar2-p{n}.pt")
    assert set(sub["train_indices"].tolist()) <= set(pool["train_indices"].tolist())
    kernels = work / f"results/kernels/synthetic/cifar2-p{big}/all/vyas-mlp-seed{seed}/init"
    model, _ = rebuild.load_checkpoint(work / f"results/init/synthetic/vyas-mlp-seed{seed}.pt")
    x, _ = Dataset.load(work / "results/data/synthetic.pt").select("all", pool)
    K_inf = ntk.read_gram(kernels / "infinite-ntk.h5", kernel="infinite-ntk")
    np.testing.assert_allclose(K_inf, infinite.of_model(model)(x).numpy(), rtol=1e-12)
    K = ntk.read_gram(kernels / "ntk.h5")
    np.testing.assert_allclose(K, ntk.gram(model, x).double().numpy(), rtol=1e-4, atol=1e-5)
    where = np.searchsorted(pool["train_indices"].numpy(), sub["train_indices"].numpy())
    test = np.arange(len(pool["y_train"]), len(K))
    # the toy configuration fits the empirical kernel around the network's outputs at θ0
    f = io.load_torch(work / f"results/outputs/synthetic/cifar2-p{big}/all/vyas-mlp-seed{seed}/init.pt")["outputs"]
    with torch.no_grad():
        np.testing.assert_allclose(f.numpy(), model.eval().double()(x.double()).numpy(), rtol=1e-12)
    f = f.numpy().reshape(-1)
    for predictor, kernel, offset in ((ENTK, K, f), (INFINITE, K_inf, np.zeros_like(f))):
        fit = fits.kernel_regression(kernel[np.ix_(where, where)], sub["y_train"].numpy() - offset[where],
                                     kernel[np.ix_(test, where)])
        error, mse = common.predictions_error(fit.test_predictions + offset[test], pool["y_test"].numpy(), True)
        row = np.flatnonzero((t["predictor"] == predictor) & (t["seed"] == seed) & (t["n"] == n) & (t["ridge"] == 0))
        assert len(row) == 1
        assert (t["test_error"][row[0]], t["test_mse"][row[0]]) == pytest.approx((error, mse))
