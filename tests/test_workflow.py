"""The workflow end to end on .test/config.yaml: every figure and the scorecard, no-op reruns,
targeted reruns, bad input, and the paper-scale plan."""

import csv

import numpy as np
import pytest
import yaml
from workflow_helpers import ROOT, copy_workflow, planned_jobs, snakemake

from ntkrepro import io, spectra

pytestmark = pytest.mark.workflow

TEST_CONFIG = ".test/config.yaml"
FIGURE_COLUMNS = {
    "2": ["model", "kind", "task", "index", "test_accuracy", "distance_l2", "distance_cosine"],
    "3": ["index", "iterations_to_threshold", "distance_l2", "distance_cosine"],
    "4": ["model", "index", "alignment", "network_accuracy", "linearized_accuracy"],
    "5": ["model", "kind", "size", "seed", "test_accuracy", "distance_l2", "distance_cosine"],
    "6": ["epoch", "energy_concentration"],
    "7": ["index", "alpha_init", "alpha_trained", "is_target"],
    "8": ["model", "epoch", "train_loss", "test_accuracy"],
    "9": ["kind", "pretraining_epochs", "test_accuracy", "distance_l2", "distance_cosine"],
}


@pytest.fixture(scope="module")
def test_config():
    return yaml.safe_load((ROOT / TEST_CONFIG).read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("workflow"))
    snakemake(work, "--configfile", TEST_CONFIG)  # no target: rule all, every figure
    return work


@pytest.mark.parametrize("n", list(FIGURE_COLUMNS))
def test_every_figure_and_its_data(built, n):
    pdf, table = built / f"figures/fig{n}.pdf", built / f"figures/fig{n}.csv"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    with open(table, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == FIGURE_COLUMNS[n] and len(rows) > 1
    assert all(len(r) == len(rows[0]) for r in rows)


def test_figure_7_data(built, test_config):
    table = io.read_csv(built / "figures/fig7.csv")
    k, target = test_config["spectrum"]["k"], test_config["fig7"]["target"]
    assert table["index"].tolist() == list(range(1, k + 1))
    assert table["is_target"].sum() == 1 and table["is_target"][target - 1] == 1
    values, _ = spectra.read_spectrum(built / "results/spectra/synthetic/all/lenet-seed42/init.h5")
    assert np.allclose(table["alpha_init"], values, rtol=1e-6)  # α_0(φ_j) = λ_j
    assert np.all(table["alpha_trained"] > 0)


def test_figure_tables_cover_the_configured_runs(built, test_config):
    fig2 = io.read_csv(built / "figures/fig2.csv")
    c2 = test_config["fig2"]
    assert len(fig2["model"]) == len(c2["models"]) * 2 * (len(c2["eigenfunctions"]) + 1)
    fig5 = io.read_csv(built / "figures/fig5.csv")
    c5 = test_config["fig5"]
    assert len(fig5["model"]) == len(c5["models"]) * 2 * len(c5["sizes"]) * len(c5["seeds"])
    assert np.all((fig5["test_accuracy"] >= 0) & (fig5["test_accuracy"] <= 1))
    fig4 = io.read_csv(built / "figures/fig4.csv")
    assert len(fig4["model"]) == len(test_config["fig4"]["models"]) * test_config["fig4"]["size"] ** 2
    assert np.all(np.diff(fig4["alignment"][fig4["model"] == "lenet-gelu"]) <= 0)  # σ_j² in decreasing order
    fig6 = io.read_csv(built / "figures/fig6.csv")
    assert fig6["epoch"].tolist() == test_config["fig6"]["epochs"]
    assert np.all((fig6["energy_concentration"] > 0) & (fig6["energy_concentration"] <= 1 + 1e-9))
    fig8 = io.read_csv(built / "figures/fig8.csv")
    assert set(fig8["model"]) == {"network", "linearized at θ0", "linearized at θ*"}
    fig9 = io.read_csv(built / "figures/fig9.csv")
    assert sorted(fig9["pretraining_epochs"][fig9["kind"] == "linearized"]) == test_config["fig9"]["epochs"]


def test_claims_scorecard(built):
    card = io.read_csv(built / "figures/claims.csv")
    assert list(card) == ["figure", "claim", "statistic", "value", "verdict"]
    assert set(card["figure"].astype(int)) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert set(card["verdict"]) <= {"holds", "does not hold", "not computable"}
    text = (built / "figures/claims.md").read_text()
    assert text.startswith("# Claims scorecard") and "claims hold at this scale" in text


def test_self_contained_report(built):
    snakemake(built, "--configfile", TEST_CONFIG, "--report", "report.html")
    html = (built / "report.html").read_text()
    # Captions and the configuration are JSON-escaped inside the page's script.
    for n in range(2, 10):
        assert f'"figures/fig{n}.pdf"' in html and f"<strong>Figure {n}.</strong>" in html, n
    assert "<strong>Claims scorecard.</strong>" in html and "data:application/pdf" in html
    assert "<strong>Configuration</strong>" in html
    assert "literal\\\">dataset</tt>: <tt class=\\\"docutils literal\\\">{'name': 'synthetic'" in html


def test_every_rule_logged(built):
    logs = {p.relative_to(built).parts[1] for p in (built / "logs").rglob("*.log") if p.stat().st_size > 0}
    assert {"prepare_dataset", "initialize", "gram", "eigendecompose", "tasks", "train", "alignment", "nads",
            "figures"} <= logs


def test_second_run_has_nothing_to_do(built):
    assert planned_jobs(built, "--configfile", TEST_CONFIG) == {}


def test_training_edit_reruns_training_and_downstream_only(built):
    config = yaml.safe_load((built / TEST_CONFIG).read_text())
    config["train"]["lr"] = 0.02
    (built / "edited.yaml").write_text(yaml.safe_dump(config))  # keys reordered too: must not matter
    jobs = planned_jobs(built, "figures/fig7.pdf", "--configfile", "edited.yaml")
    assert jobs == {"train": 1, "gram_checkpoint": 1, "alignment": 1, "fig7_table": 1, "fig7": 1}


def test_plot_edit_reruns_the_figures_only(built):
    jobs = planned_jobs(built, "--configfile", TEST_CONFIG, "--config", "plot={dpi: 200}")
    assert set(jobs) == {f"fig{n}" for n in FIGURE_COLUMNS} | {"all"}


def test_dataset_edit_reruns_everything_downstream_of_it(built):
    jobs = planned_jobs(built, "--configfile", TEST_CONFIG, "--config", "dataset={synthetic: {seed: 7}}")
    assert {"prepare_dataset", "gram_init", "eigendecompose", "eigenfunction_task", "cifar2_task",
            "cifar2_subset_task", "train", "gram_checkpoint", "alignment", "claims"} <= set(jobs)
    assert not {"initialize", "nads", "nad_task"} & set(jobs)  # θ0 and the Gaussian NAD tasks do not read it
    runs = len(list((built / "results/runs").glob("*/*/*/*/metrics.csv")))
    nad_runs = len(list((built / "results/runs").glob("gaussian*/*/*/*/metrics.csv")))
    assert jobs["train"] == runs - nad_runs


@pytest.mark.parametrize(
    "module,expected,untouched",
    [
        ("plotting.py", {f"fig{n}" for n in FIGURE_COLUMNS} | {"all"}, set()),
        ("ntk/engine.py", {"gram_init", "gram_checkpoint", "eigendecompose", "train", "alignment"},
         {"initialize", "prepare_dataset", "nads", "cifar2_task"}),
        ("train.py", {"train", "gram_checkpoint", "fig5_table"}, {"gram_init", "initialize", "nads"}),
        # imported indirectly (through train.py, ntk/hdf5.py and spectra.py), never named by a rule
        ("progress.py", {"train", "gram_init", "eigendecompose"}, {"initialize", "prepare_dataset", "nads", "cifar2_task"}),
    ],
)
def test_library_edit_reruns_the_rules_that_use_it(built, module, expected, untouched):
    path = built / "src/ntkrepro" / module
    original = path.read_text()
    path.write_text(original + "\n# an edit\n")
    try:
        jobs = planned_jobs(built, "--configfile", TEST_CONFIG)
    finally:
        path.write_text(original)
    assert expected <= set(jobs) and not untouched & set(jobs), jobs
    if module == "plotting.py":
        assert set(jobs) == expected


def test_protect_write_protects_gram_matrices(tmp_path):
    work = copy_workflow(tmp_path / "protect")
    target = "results/kernels/synthetic/all/lenet-seed42/init.h5"
    snakemake(work, target, "--configfile", TEST_CONFIG, "--config", "protect=true")
    assert not (work / target).stat().st_mode & 0o222
    assert planned_jobs(work, target, "--configfile", TEST_CONFIG, "--config", "protect=false") == {}


def test_bad_config_is_one_clear_error_and_writes_nothing(tmp_path):
    work = copy_workflow(tmp_path / "bad")
    (work / "bad.yaml").write_text("train:\n  lrr: 0.1\n")
    proc = snakemake(work, "figures/fig7.pdf", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    assert "config: unknown key 'train.lrr'" in proc.stderr + proc.stdout
    assert not (work / "results").exists() and not (work / "figures").exists()


def test_paper_scale_plan(tmp_path):
    work = copy_workflow(tmp_path / "paper")
    jobs = planned_jobs(work, "--configfile", "config/paper.yaml")
    assert {f"fig{n}" for n in FIGURE_COLUMNS} | {"claims", "all"} <= set(jobs)
    paper = yaml.safe_load((work / "config/paper.yaml").read_text())
    f5 = paper["fig5"]
    fig5_runs = len(f5["models"]) * 2 * len(f5["sizes"]) * len(f5["seeds"])
    assert jobs["train"] >= fig5_runs and jobs["cifar2_subset_task"] == len(f5["sizes"]) * len(f5["seeds"])
    fig7 = planned_jobs(work, "figures/fig7.pdf", "--configfile", "config/paper.yaml")
    assert fig7 == {
        "prepare_dataset": 1, "initialize": 1, "gram_init": 1, "eigendecompose": 1, "eigenfunction_task": 1,
        "train": 1, "gram_checkpoint": 1, "alignment": 1, "fig7_table": 1, "fig7": 1,
    }
