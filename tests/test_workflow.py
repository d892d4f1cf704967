"""The workflow end to end on .test/config.yaml: outputs, no-op reruns, targeted reruns, bad input."""

import numpy as np
import pytest
import yaml
from workflow_helpers import copy_workflow, planned_jobs, snakemake

from ntkrepro import io, spectra

pytestmark = pytest.mark.workflow

TEST_CONFIG = ".test/config.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("workflow"))
    snakemake(work, "figures/fig7.pdf", "--configfile", TEST_CONFIG)
    return work


def test_figure_7_and_its_data(built):
    pdf, csv = built / "figures/fig7.pdf", built / "figures/fig7.csv"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    table = io.read_csv(csv)
    assert list(table) == ["index", "alpha_init", "alpha_trained", "is_target"]
    config = yaml.safe_load((built / TEST_CONFIG).read_text())
    k, target = config["spectrum"]["k"], config["fig7"]["target"]
    assert table["index"].tolist() == list(range(1, k + 1))
    assert table["is_target"].sum() == 1 and table["is_target"][target - 1] == 1
    values, _ = spectra.read_spectrum(built / "results/spectra/synthetic/all/lenet-seed42/init.h5")
    assert np.allclose(table["alpha_init"], values, rtol=1e-6)  # α_0(φ_j) = λ_j
    assert np.all(table["alpha_trained"] > 0)


def test_every_rule_logged(built):
    logs = {p.parts[1] for p in (built / "logs").rglob("*.log") if p.stat().st_size > 0 for p in [p.relative_to(built)]}
    assert {"prepare_dataset", "initialize", "gram", "eigendecompose", "eigenfunction_task", "train", "alignment"} <= logs


def test_second_run_has_nothing_to_do(built):
    assert planned_jobs(built, "figures/fig7.pdf", "--configfile", TEST_CONFIG) == {}


def test_training_edit_reruns_training_and_downstream_only(built):
    config = yaml.safe_load((built / TEST_CONFIG).read_text())
    config["train"]["lr"] = 0.02
    (built / "edited.yaml").write_text(yaml.safe_dump(config))
    jobs = planned_jobs(built, "figures/fig7.pdf", "--configfile", "edited.yaml")
    assert jobs == {"train": 1, "gram_checkpoint": 1, "alignment": 1, "fig7": 1}


def test_plot_edit_reruns_the_figure_only(built):
    jobs = planned_jobs(built, "figures/fig7.pdf", "--configfile", TEST_CONFIG, "--config", "plot={dpi: 200}")
    assert jobs == {"fig7": 1}


def test_bad_config_is_one_clear_error_and_writes_nothing(tmp_path):
    work = copy_workflow(tmp_path / "bad")
    (work / "bad.yaml").write_text("train:\n  lrr: 0.1\n")
    proc = snakemake(work, "figures/fig7.pdf", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    assert "config: unknown key 'train.lrr'" in proc.stderr + proc.stdout
    assert not (work / "results").exists() and not (work / "figures").exists()


def test_paper_scale_plan(tmp_path):
    work = copy_workflow(tmp_path / "paper")
    jobs = planned_jobs(work, "figures/fig7.pdf", "--configfile", "config/paper.yaml")
    assert jobs == {
        "prepare_dataset": 1,
        "initialize": 1,
        "gram_init": 1,
        "eigendecompose": 1,
        "eigenfunction_task": 1,
        "train": 1,
        "gram_checkpoint": 1,
        "alignment": 1,
        "fig7": 1,
    }
