"""The workflow end to end on .test/config.yaml: every figure with checked values, the scorecard, the
report, no-op and targeted reruns, bad input, and the paper-scale plan."""

import csv
import json
import re
import shutil
import textwrap

import numpy as np
import pytest
import yaml
from test_data import write_mnist_like
from workflow_helpers import (ROOT, TEST_CONFIG, copy_without_figures, copy_workflow, pdf_keywords, planned_jobs,
                              snakemake)

from ntkrepro import claims, io, spectra
from ntkrepro.papers import load_all as load_papers

pytestmark = pytest.mark.workflow

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
# Words every figure's axes or titles must show
FIGURE_TEXT = {
    "2": ["eigenfunction index", "test accuracy"], "3": ["iterations to loss threshold", "eigenfunction index"],
    "4": ["NAD index", "test accuracy"], "5": ["training-set size", "test accuracy"], "6": ["epoch"],
    "7": ["eigenfunction index", "alignment", "After training"], "8": ["training loss", "test accuracy", "epoch"],
    "9": ["pretraining epochs", "test accuracy"],
}
INIT_SPECTRUM = "results/spectra/synthetic/classes/all/lenet-seed42/init/ntk.h5"


@pytest.fixture(scope="module")
def test_config():
    return yaml.safe_load((ROOT / TEST_CONFIG).read_text())["ortiz2021"]


def fraction(values):
    return np.all((values >= 0) & (values <= 1))


@pytest.mark.parametrize("n", list(FIGURE_COLUMNS))
def test_every_figure_its_data_and_its_axes(built, n):
    pdf, table = built / f"figures/fig{n}.pdf", built / f"figures/fig{n}.csv"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_keywords(pdf)
    assert all(word in text for word in FIGURE_TEXT[n]), text
    with open(table, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == FIGURE_COLUMNS[n] and len(rows) > 1
    assert all(len(r) == len(rows[0]) for r in rows)


def test_figure_7_values(built, test_config):
    table = io.read_csv(built / "figures/fig7.csv")
    shown, target = test_config["fig7"]["eigenfunctions"], test_config["fig7"]["target"]
    assert shown < yaml.safe_load((ROOT / TEST_CONFIG).read_text())["spectrum"]["k"]
    assert table["index"].tolist() == list(range(1, shown + 1))
    assert table["is_target"].sum() == 1 and table["is_target"][target - 1] == 1
    values, _ = spectra.read_spectrum(built / INIT_SPECTRUM)
    assert np.allclose(table["alpha_init"], values[:shown], rtol=1e-6)  # α_0(φ_j) = λ_j
    assert np.all(table["alpha_trained"] > 0) and not np.allclose(table["alpha_trained"], table["alpha_init"], rtol=1e-3)


def test_figure_tables_cover_the_configured_runs_with_values_in_range(built, test_config):
    c = test_config
    fig2 = io.read_csv(built / "figures/fig2.csv")
    assert len(fig2["model"]) == len(c["fig2"]["models"]) * 2 * (len(c["fig2"]["eigenfunctions"]) + 1)
    assert set(fig2["index"].astype(int)) == set(c["fig2"]["eigenfunctions"]) | {0}
    assert fraction(fig2["test_accuracy"]) and np.all(fig2["distance_l2"] > 0) and fraction(fig2["distance_cosine"])
    fig3 = io.read_csv(built / "figures/fig3.csv")
    assert fig3["index"].tolist() == c["fig3"]["eigenfunctions"]
    assert np.all(fig3["distance_l2"] > 0) and np.all(np.isnan(fig3["iterations_to_threshold"]) | (fig3["iterations_to_threshold"] >= 1))
    fig4 = io.read_csv(built / "figures/fig4.csv")
    assert len(fig4["model"]) == len(c["fig4"]["models"]) * c["fig4"]["size"] ** 2
    for model in c["fig4"]["models"]:
        rows = fig4["model"] == model
        assert np.all(np.diff(fig4["alignment"][rows]) <= 0) and np.all(fig4["alignment"][rows] >= 0)  # σ_j², decreasing
        trained = rows & np.isin(fig4["index"], c["fig4"]["nads"])
        assert fraction(fig4["network_accuracy"][trained]) and fraction(fig4["linearized_accuracy"][trained])
        assert np.all(np.isnan(fig4["network_accuracy"][rows & ~trained]))
    fig5 = io.read_csv(built / "figures/fig5.csv")
    assert len(fig5["model"]) == len(c["fig5"]["models"]) * 2 * len(c["fig5"]["sizes"]) * len(c["fig5"]["seeds"])
    assert fraction(fig5["test_accuracy"]) and set(fig5["size"].astype(int)) == set(c["fig5"]["sizes"])
    fig6 = io.read_csv(built / "figures/fig6.csv")
    assert fig6["epoch"].tolist() == c["fig6"]["epochs"]
    assert np.all((fig6["energy_concentration"] > 0) & (fig6["energy_concentration"] <= 1 + 1e-9))
    fig8 = io.read_csv(built / "figures/fig8.csv")
    epochs = yaml.safe_load((ROOT / TEST_CONFIG).read_text())["recipes"]["ortiz2021"]["epochs"]
    for name in ("network", "linearized at θ0", "linearized at θ*"):
        assert fig8["epoch"][fig8["model"] == name].tolist() == list(range(1, epochs + 1))
    assert np.all(np.isfinite(fig8["train_loss"]) & (fig8["train_loss"] > 0)) and fraction(fig8["test_accuracy"])
    fig9 = io.read_csv(built / "figures/fig9.csv")
    assert sorted(fig9["pretraining_epochs"][fig9["kind"] == "linearized"]) == c["fig9"]["epochs"]
    assert fig9["pretraining_epochs"][fig9["kind"] == "network"].tolist() == [epochs] and fraction(fig9["test_accuracy"])


def test_claims_scorecard(built):
    card = io.read_csv(built / "figures/claims.csv")
    assert list(card) == ["figure", "claim", "statistic", "value", "verdict"]
    assert set(card["figure"].astype(int)) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert {claims.kind(v) for v in card["verdict"]} <= set(claims.KINDS)
    decided = np.array([claims.kind(v) != claims.NOT_TESTED for v in card["verdict"]])
    assert np.all(np.isfinite(card["value"][decided]))
    text = (built / "figures/claims.md").read_text()
    assert text.startswith("# Claims scorecard") and claims.summary(card["verdict"]) in text


def test_self_contained_report(built):
    proc = snakemake(built, "--configfile", TEST_CONFIG, "--report", "report.html")
    assert "Missing metadata" not in proc.stderr + proc.stdout
    html = (built / "report.html").read_text()
    # Captions and the configuration are JSON-escaped inside the page's script.
    for n in range(2, 10):
        assert f'"figures/fig{n}.pdf"' in html and f"<strong>Figure {n}.</strong>" in html, n
    assert "<strong>Claims scorecard.</strong>" in html and "data:application/pdf" in html
    # The front page lists the papers built, and the configuration as JSON, not as Python reprs.
    for paper in load_papers().values():
        assert json.dumps(f"<li>{paper.TITLE}</li>")[1:-1] in html, paper.KEY
    assert "<strong>Configuration</strong>" in html and "literal-block" in html
    assert "&quot;name&quot;: &quot;synthetic&quot;" in html and "{'name': 'synthetic'" not in html


def test_every_rule_logged(built):
    logs = {p.relative_to(built).parts[1] for p in (built / "logs").rglob("*.log") if p.stat().st_size > 0}
    assert {"prepare_dataset", "initialize", "kernel", "eigendecompose", "tasks", "train", "alignment", "nads",
            "figures"} <= logs


def test_second_run_has_nothing_to_do(built):
    assert planned_jobs(built, "--configfile", TEST_CONFIG) == {}


def test_training_edit_reruns_training_and_downstream_only(built):
    config = yaml.safe_load((built / TEST_CONFIG).read_text())
    config["recipes"]["ortiz2021"]["lr"] = 0.02
    (built / "edited.yaml").write_text(yaml.safe_dump(config))  # keys reordered too: must not matter
    jobs = planned_jobs(built, "figures/fig7.pdf", "--configfile", "edited.yaml")
    assert jobs == {"train": 1, "kernel_checkpoint": 1, "alignment": 1, "figure_table": 1, "figure_plot": 1}


def test_plot_edit_reruns_the_figures_only(built):
    jobs = planned_jobs(built, "--configfile", TEST_CONFIG, "--config", "plot={dpi: 200}")
    assert jobs == {"figure_plot": len(list((built / "figures").rglob("*.pdf"))), "all": 1}


def test_dataset_edit_reruns_everything_downstream_of_it(built):
    jobs = planned_jobs(built, "--configfile", TEST_CONFIG, "--config", "dataset={synthetic: {seed: 7}}")
    assert {"prepare_dataset", "kernel_init", "eigendecompose", "eigenfunction_task", "dataset_task", "seeded_task",
            "train", "kernel_checkpoint", "alignment", "claims"} <= set(jobs)
    assert not {"initialize", "nads", "nad_task"} & set(jobs)  # θ0 and the Gaussian NAD tasks do not read it
    runs = len(list((built / "results/runs").glob("*/*/*/*/*/metrics.csv")))
    # the Gaussian NAD inputs and the datasets named under datasets: do not derive from dataset
    others = ["gaussian*"] + list(yaml.safe_load((ROOT / TEST_CONFIG).read_text()).get("datasets", {}))
    untouched = sum(len(list((built / "results/runs").glob(f"{d}/*/*/*/*/metrics.csv"))) for d in others)
    assert jobs["train"] == runs - untouched


@pytest.mark.parametrize(
    "module,expected,untouched",
    [
        ("plotting.py", {"figure_table", "figure_plot", "claims", "all"}, {"train", "kernel_init"}),
        ("papers/ortiz2021/fig7.py", {"figure_table", "figure_plot", "claims", "all"}, {"train", "alignment"}),
        ("ntk/engine.py", {"kernel_init", "kernel_checkpoint", "eigendecompose", "train", "alignment"},
         {"initialize", "prepare_dataset", "nads", "dataset_task"}),
        ("training/loop.py", {"train", "kernel_checkpoint", "figure_table"}, {"kernel_init", "initialize", "nads"}),
        # imported indirectly (through training, ntk/hdf5.py and spectra.py), never named by a rule
        ("progress.py", {"train", "kernel_init", "eigendecompose"}, {"initialize", "prepare_dataset", "nads", "dataset_task"}),
    ],
)
def test_library_edit_reruns_the_rules_that_use_it(built, module, expected, untouched):
    path = built / "src/ntkrepro" / module
    original = path.read_text()
    path.write_text(original + "\n_EDITED = True\n")  # code: a comment or a docstring re-runs nothing
    try:
        jobs = planned_jobs(built, "--configfile", TEST_CONFIG)
    finally:
        path.write_text(original)
    assert expected <= set(jobs) and not untouched & set(jobs), jobs
    if module.startswith("papers/"):  # one figure's module: that figure alone
        assert jobs == {"figure_table": 1, "figure_plot": 1, "claims": 1, "all": 1}


def test_comment_and_docstring_edits_rerun_nothing(built):
    path = built / "src/ntkrepro/spectra.py"
    original = path.read_text()
    docstring = original.split('"""')[1]
    path.write_text("# a comment\n" + original.replace(docstring, docstring + " Edited.", 1) + "\n# another\n")
    try:
        assert planned_jobs(built, "--configfile", TEST_CONFIG) == {}
    finally:
        path.write_text(original)


def test_report_after_one_figure_reports_what_exists(built, fig7_alone):
    work = fig7_alone
    proc = snakemake(work, "--configfile", TEST_CONFIG, "--report", "report.html")
    wanted = sum(1 for p in (built / "figures").rglob("*") if p.suffix in (".pdf", ".md"))
    assert f"report: 1 of {wanted} figures and scorecards of the enabled papers exist" in proc.stderr
    html = (work / "report.html").read_text()
    assert '"figures/fig7.pdf"' in html and '"figures/fig2.pdf"' not in html


def test_protect_write_protects_gram_matrices(tmp_path):
    work = copy_workflow(tmp_path / "protect")
    target = "results/kernels/synthetic/classes/all/lenet-seed42/init/ntk.h5"
    snakemake(work, target, "--configfile", TEST_CONFIG, "--config", "protect=true")
    assert not (work / target).stat().st_mode & 0o222
    assert planned_jobs(work, target, "--configfile", TEST_CONFIG, "--config", "protect=false") == {}
    # a rerun that would replace it is refused, even as root (whom os.access always lets write)
    before = (work / target).read_bytes()
    proc = snakemake(work, target, "--configfile", TEST_CONFIG, "--config", "protect=true", "--forcerun",
                     "kernel_init", check=False)
    assert proc.returncode != 0 and "Write-protected output files" in proc.stdout + proc.stderr
    assert (work / target).read_bytes() == before


def test_another_copy_under_dataset_root_is_refused_not_silently_kept(tmp_path):
    # dataset.root is not a param (moving a copy re-runs nothing), so the prepared data records the
    # raw files' digest: a copy with other digits of the same sizes is one line, not the old results.
    work = copy_workflow(tmp_path / "source")
    write_mnist_like(work / "first", "MNIST/raw", 64, 10, seed=0)
    write_mnist_like(work / "other", "MNIST/raw", 64, 10, seed=1)
    shutil.copytree(work / "first", work / "moved")
    off = {key: {"enabled": False} for key in load_papers()}

    def dataset(root):
        (work / "mnist.yaml").write_text(yaml.safe_dump({"dataset": {"name": "mnist", "root": root, "download": False,
                                                                     "n_train": None, "n_test": None}, **off}))
        return ("results/data/mnist.pt", "--configfile", TEST_CONFIG, "mnist.yaml")

    snakemake(work, *dataset("first"))
    assert planned_jobs(work, *dataset("moved")) == {}  # the same files elsewhere: nothing to do
    proc = snakemake(work, *dataset("other"), "-n", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "dataset 'mnist': the files under dataset.root (other) are not those" in proc.stdout + proc.stderr
    (work / "results/data/mnist.pt").unlink()  # as the message says
    snakemake(work, *dataset("other"))
    assert planned_jobs(work, *dataset("other")) == {}


def test_bad_config_is_one_clear_error_and_writes_nothing(tmp_path):
    work = copy_workflow(tmp_path / "bad")
    (work / "bad.yaml").write_text("recipes:\n  ortiz2021:\n    lrr: 0.1\n")
    proc = snakemake(work, "figures/fig7.pdf", "--configfile", "bad.yaml", check=False)
    out = proc.stderr + proc.stdout
    assert proc.returncode != 0 and "config: unknown key 'recipes.ortiz2021.lrr'" in out
    assert "WorkflowError" not in out and 'File "' not in out  # a message, not a crash report
    assert not (work / "results").exists() and not (work / "figures").exists()


def test_a_figure_section_is_refused_only_for_the_targets_that_need_it(tmp_path):
    work = copy_workflow(tmp_path / "refused")
    fig5 = ("--config", "ortiz2021={fig5: {sizes: [500, 5000]}}")  # more than the 4,000 training samples
    assert planned_jobs(work, "figures/fig7.pdf", *fig5) == planned_jobs(work, "figures/fig7.pdf")
    for target in ("figures/fig5.pdf", "figures/claims.md", "ortiz2021"):
        proc = snakemake(work, target, "-n", *fig5, check=False)
        out = proc.stderr + proc.stdout
        assert proc.returncode == 1, target
        assert "config key 'ortiz2021.fig5.sizes': 5000 exceeds the 4000 training samples" in out
        assert "Exception" not in out and 'File "' not in out  # a message, not a crash report


def toy_figure(number: int) -> str:
    """The source of a toy figure module: the final test accuracy of one network on CIFAR2."""
    return textwrap.dedent('''
        """A toy figure: the final test accuracy of one network on CIFAR2."""
        import matplotlib.pyplot as plt

        from ntkrepro import tables
        from ntkrepro.claims import Claim, check
        from ntkrepro.pipeline import Needs

        SCHEMA = {"type": "object", "additionalProperties": False, "required": ["model"],
                  "properties": {"model": {"type": "string"}}}


        def needs(ctx):
            return Needs({"metrics": [({"model": ctx.section["model"]}, ctx.run("cifar2", ctx.section["model"]))]})


        def title(ctx):
            return "toy"


        def caption(ctx):
            return "**Figure NUMBER.** A toy."


        def table(inputs, params):
            return tables.accuracy_table(inputs["metrics"])


        def plot(table, title):
            fig, ax = plt.subplots()
            ax.bar([0], table["test_accuracy"])
            ax.set_ylabel("test accuracy")
            return fig


        def claims(t):
            return [Claim("The toy learns.", "test accuracy; holds if > 0", float(t["test_accuracy"][0]),
                          check(float(t["test_accuracy"][0]), lambda v: v > 0))]
        ''').replace("NUMBER", str(number))


def test_a_toy_figure_is_one_module_and_one_config_section(built, tmp_path):
    work = copy_without_figures(built, tmp_path / "toy")  # its data, θ0 and task come from the build
    (work / "src/ntkrepro/papers/ortiz2021/fig99.py").write_text(toy_figure(99))
    (work / "toy.yaml").write_text(yaml.safe_dump({"ortiz2021": {**{f"fig{n}": None for n in FIGURE_COLUMNS},
                                                                 "fig99": {"model": "lenet"}}}))
    snakemake(work, "ortiz2021", "--configfile", TEST_CONFIG, "toy.yaml")
    assert io.read_csv(work / "figures/fig99.csv")["model"].tolist() == ["lenet"]
    assert "test accuracy" in pdf_keywords(work / "figures/fig99.pdf")
    assert io.read_csv(work / "figures/claims.csv")["figure"].astype(int).tolist() == [99]


def test_a_toy_paper_is_its_folder_and_its_config_section(built, tmp_path):
    # No generic file is edited: the paper is discovered from its folder, its schema joins the
    # configuration's, and it gets its target rule, figures folder and scorecard.
    work = copy_without_figures(built, tmp_path / "toypaper")  # its data, θ0 and task come from the build
    paper = work / "src/ntkrepro/papers/toy2099"
    paper.mkdir()
    (paper / "__init__.py").write_text(textwrap.dedent('''
        """A toy paper."""
        KEY = "toy2099"
        TITLE = "A toy paper (Nobody, 2099)"
        FOLDER = "figures/toy2099"
        SCHEMA = {"enabled": {"type": "boolean", "default": True}, "recipe": {"type": "string"}}


        def scale(ctx):
            return "the test configuration"
        '''))
    (paper / "fig1.py").write_text(toy_figure(1))
    recipe = yaml.safe_load((work / TEST_CONFIG).read_text())["ortiz2021"].get("recipe", "ortiz2021")
    (work / "toy.yaml").write_text(yaml.safe_dump({
        "toy2099": {"recipe": recipe, "fig1": {"model": "lenet"}},
        **{key: {"enabled": False} for key in load_papers()}}))
    snakemake(work, "toy2099", "--configfile", TEST_CONFIG, "toy.yaml")
    assert io.read_csv(work / "figures/toy2099/fig1.csv")["model"].tolist() == ["lenet"]
    assert "test accuracy" in pdf_keywords(work / "figures/toy2099/fig1.pdf")
    assert io.read_csv(work / "figures/toy2099/claims.csv")["figure"].astype(int).tolist() == [1]
    assert not list((work / "figures").glob("*.csv"))  # the disabled papers built nothing


def test_paper_scale_plan(paper_scale):
    jobs = paper_scale.jobs("ortiz2021")
    assert {"figure_table", "figure_plot", "claims", "ortiz2021"} <= set(jobs) and jobs["figure_table"] == 8
    paper = yaml.safe_load((paper_scale.workdir / "config/paper.yaml").read_text())["ortiz2021"]
    defaults = yaml.safe_load((paper_scale.workdir / "config/config.yaml").read_text())["ortiz2021"]
    f5 = {**defaults["fig5"], **paper["fig5"]}
    fig5_runs = len(f5["models"]) * 2 * len(f5["sizes"]) * len(f5["seeds"])
    # fig6's training subset (n = 10,000, seed 42) is one of them: shared, made once
    assert jobs["train"] >= fig5_runs and jobs["seeded_task"] == len(f5["sizes"]) * len(f5["seeds"])
    fig7 = paper_scale.jobs("figures/fig7.pdf")
    assert fig7 == {
        "prepare_dataset": 1, "initialize": 1, "kernel_init": 1, "eigendecompose": 1, "eigenfunction_task": 1,
        "train": 1, "kernel_checkpoint": 1, "alignment": 2, "figure_table": 1, "figure_plot": 1,
    }


def test_no_generic_rule_or_module_names_a_figure_or_a_paper():
    keys = ["ortiz2021", "samarin2022", "vyas2022", "canatar2022", "long2021"]
    pattern = re.compile(r"\b(fig|table)\d+\b|\bfigure \d|" + "|".join(keys), re.I)
    generic = [p for p in (ROOT / "src/ntkrepro").rglob("*.py") if "papers" not in p.parts]
    generic += [p for p in (ROOT / "workflow/rules").glob("*.smk") if p.name != "figures.smk"]
    generic += list((ROOT / "workflow/scripts").glob("*.py"))
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in generic for m in pattern.finditer(p.read_text())]
    assert not found, found


def test_a_dataset_smaller_than_the_caps_is_used_as_it_is(tmp_path):
    """A real MNIST-format dataset with fewer images than dataset.n_train / n_test (the caps are caps):
    every split follows the images present."""
    from test_data import write_mnist_like

    work = copy_workflow(tmp_path / "small")
    write_mnist_like(work / "data", "MNIST/raw", 150, 30)
    (work / "small.yaml").write_text(yaml.safe_dump({
        "dataset": {"name": "mnist", "root": "data", "download": False, "n_train": 4000, "n_test": 1000},
        "spectrum": {"k": 20},
        "ortiz2021": {"reference_samples": None, **{f"fig{n}": None for n in FIGURE_COLUMNS if n != "7"},
                      "fig7": {"model": "lenet", "target": 5}},
    }))
    snakemake(work, "figures/fig7.pdf", "--configfile", TEST_CONFIG, "small.yaml")
    task = io.load_torch(work / "results/tasks/mnist/lenet-seed42/eigenfunction5.pt")
    assert len(task["y_train"]) == 150 and len(task["y_test"]) == 30
    run = io.read_csv(work / "results/runs/mnist/lenet-seed42/eigenfunction5/ortiz2021/network/metrics.csv")
    assert np.all(np.isfinite(run["test_accuracy"])) and io.read_csv(work / "figures/fig7.csv")["index"].tolist() == list(range(1, 21))
    assert "lenet on mnist (180 samples" in pdf_keywords(work / "figures/fig7.pdf")  # the plan counts them too


def test_kernels_and_spectra_are_shared_between_checkouts_through_the_cache(tmp_path):
    """With SNAKEMAKE_OUTPUT_CACHE and --cache, a second checkout takes θ0's kernel and spectrum from
    the cache instead of computing them."""
    import os

    env = {"SNAKEMAKE_OUTPUT_CACHE": str(tmp_path / "cache")}
    (tmp_path / "cache").mkdir()
    target = "results/spectra/synthetic/classes/all/lenet-seed42/init/ntk.h5"
    first, second = (copy_workflow(tmp_path / name) for name in ("first", "second"))
    os.environ.update(env)
    try:
        snakemake(first, target, "--configfile", TEST_CONFIG, "--cache", "kernel_init", "eigendecompose")
        proc = snakemake(second, target, "--configfile", TEST_CONFIG, "--cache", "kernel_init", "eigendecompose")
    finally:
        for key in env:
            os.environ.pop(key)
    log = "".join(p.read_text() for p in (second / ".snakemake/log").glob("*.log"))
    assert log.count("from cache.") == 2, proc.stderr
    assert np.array_equal(spectra.read_spectrum(first / target)[0], spectra.read_spectrum(second / target)[0])
    computed = [p for p in (second / "logs").rglob("*.log")
                if p.stat().st_size and p.relative_to(second / "logs").parts[0] in ("kernel", "eigendecompose")]
    assert not computed  # never computed in the second checkout


# ---- Samarin et al. 2022 (figures/samarin2022/) ---------------------------------------------------

SAMARIN = "figures/samarin2022"
SAMARIN_TEXT = {
    "fig2": ["width factor", "training accuracy", "test accuracy", "LeNet"],
    "fig3": ["width factor", "training accuracy", "test accuracy", "shifted"],
    "fig4": ["width factor", "test accuracy", "CIFAR-10"],
    "fig5": ["width factor", "test accuracy", "AlexNet"],
    "fig6": ["width factor", "effective rank", "LinLeNet", "LinAlexNet"],
    "fig7": ["singular value", "count", "MNIST"],
    "table1": ["width factor", "test accuracy (%)", "train accuracy (%)"],
    "table2": ["width factor", "test accuracy (%)", "train accuracy (%)"],
}
ACCURACY_COLUMNS = ["role", "dataset", "name", "kind", "width", "seed", "train_accuracy", "test_accuracy"]


@pytest.fixture(scope="module")
def samarin_config():
    return yaml.safe_load((ROOT / TEST_CONFIG).read_text())["samarin2022"]


@pytest.mark.parametrize("item", list(SAMARIN_TEXT))
def test_samarin_items_name_their_axes(built, item):
    pdf = built / SAMARIN / f"{item}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_keywords(pdf)
    assert all(word in text for word in SAMARIN_TEXT[item]), text


def test_samarin_accuracy_figures(built, samarin_config):
    c = samarin_config
    widths, seeds = c["widths"], c["seeds"]
    for item, roles in (("fig2", {"main"}), ("fig3", {"main", "reference"}), ("fig4", {"main"})):
        t = io.read_csv(built / SAMARIN / f"{item}.csv")
        assert list(t) == ACCURACY_COLUMNS + (["cifar10"] if item == "fig4" else [])
        assert len(t["role"]) == len(roles) * len(widths) * 2 * len(seeds) and set(t["role"]) == roles
        assert set(t["name"]) == {"LeNet", "LinLeNet"} and set(t["width"]) == set(map(float, widths))
        assert fraction(t["train_accuracy"]) and fraction(t["test_accuracy"])
    fig3 = io.read_csv(built / SAMARIN / "fig3.csv")
    assert set(fig3["dataset"][fig3["role"] == "main"]) == {"synthetic-shift7"}
    fig5 = io.read_csv(built / SAMARIN / "fig5.csv")
    assert len(fig5["role"]) == len(c["fig5"]["widths"]) * 3 * len(seeds) and len(set(fig5["name"])) == 3
    assert fraction(fig5["test_accuracy"]) and set(fig5["dataset"]) == {"snakes"}


def test_samarin_spectra(built, samarin_config):
    c = samarin_config
    m, widths, alex = c["jacobian_samples"], c["widths"], c["fig6"]["alexnet"]["widths"]
    fig6 = io.read_csv(built / SAMARIN / "fig6.csv")
    assert len(fig6["model"]) == 2 * len(widths) + len(alex) and set(fig6["rows"]) == {10 * m}
    assert np.all((fig6["effective_rank"] > 1) & (fig6["effective_rank"] <= 10 * m))
    assert np.all(fig6["erank_kernel"] < fig6["erank_jacobian"])  # squaring sharpens the distribution
    assert np.allclose(fig6["effective_rank"], fig6["erank_kernel"]) and set(fig6["of"]) == {"kernel"}
    fig7 = io.read_csv(built / SAMARIN / "fig7.csv")
    assert len(fig7["role"]) == 2 * len(widths) * 10 * m
    lam = fig7["eigenvalue"]
    assert np.allclose(fig7["singular_value"], np.where(fig7["singular_value"] > 0, lam, 0))  # of J Jᵀ: λ
    mnist = (fig7["role"] == "MNIST") & (fig7["width"] == widths[0])
    assert np.allclose(lam[mnist], np.sort(lam[mnist])[::-1]) and lam[mnist][0] > 0
    smallest = fig7["singular_value"][mnist][fig7["singular_value"][mnist] > 0].min()
    assert np.allclose(fig7["smallest_nonzero"][mnist], smallest)
    assert np.allclose(fig7["condition_number"][mnist], lam[mnist][0] / smallest) and np.all(fig7["condition_number"] >= 1)


def test_samarin_tables(built, samarin_config):
    c = samarin_config
    grid = sorted(set(map(float, c["widths"])) | {1.0, 2.0, 5.0, 10.0, 25.0, 60.0})
    for item, reference in (("table1", 0), ("table2", 2 * 3 * len(c["widths"]))):
        t = io.read_csv(built / SAMARIN / f"{item}.csv")
        assert list(t) == ["role", "dataset", "split", "method", "width", "accuracy", "paper", "test_samples"]
        assert np.all(t["test_samples"] > 0)
        assert len(t["role"]) == 2 * 3 * len(grid) + reference
        main = t["role"] == "main"
        solver = main & (t["method"] == "Solver")
        run = main & np.isin(t["width"], c["widths"]) & ((t["method"] != "Solver") | np.isin(t["width"], c[item]["solver_widths"]))
        assert np.all((t["accuracy"][run] >= 0) & (t["accuracy"][run] <= 100)) and np.all(np.isnan(t["accuracy"][main & ~run]))
        assert np.all(t["accuracy"][solver & (t["split"] == "Train") & run] == 100)  # interpolates
        assert t["paper"][main & (t["split"] == "Test") & (t["method"] == "Lin.") & (t["width"] == 60)][0] == (
            99.89 if item == "table1" else 99.55)
        text = (built / SAMARIN / f"{item}.md").read_text()
        assert text.startswith(f"**Table {item[-1]}.**") and "| | | ×1 | ×2 | ×5 | ×10 | ×25 | ×60 |" in text
        assert ("| Test | Solver |" in text and "|  | Lin. |" in text and "| Train | Solver |" in text
                and ("(97.8)" if item == "table1" else "(86.05)") in text)


def test_samarin_scorecard(built):
    card = io.read_csv(built / SAMARIN / "claims.csv", labels=("figure",))  # figures 2…7 and table1, table2
    assert list(card) == ["figure", "claim", "statistic", "value", "verdict"]
    assert set(card["figure"]) == {"2", "3", "4", "5", "6", "7", "table1", "table2"}
    kinds = np.array([claims.kind(v) for v in card["verdict"]])
    assert set(kinds) <= set(claims.KINDS)
    not_built = np.array([kind == claims.NOT_TESTED and "×60" in v and v.endswith("built at this scale")
                          for kind, v in zip(kinds, card["verdict"])])
    assert not_built.sum() >= 4 and np.all(np.isnan(card["value"][not_built]))  # the ×60 statements
    assert all("×60" in c for c in card["claim"][not_built])
    # Figure 4 on the test dataset, not CIFAR-10: its CIFAR-10 statements are scored on a stand-in, never as the paper's
    on_standin = np.char.endswith(card["verdict"].astype(str), claims.ON_A_STANDIN)
    assert on_standin.any() and all(f == "4" and "CIFAR-10" in c for f, c in zip(card["figure"][on_standin],
                                                                                card["claim"][on_standin]))
    text = (built / SAMARIN / "claims.md").read_text()
    assert text.startswith("# Claims scorecard") and claims.summary(card["verdict"]) in text


def test_samarin_paper_scale_plan(paper_scale):
    jobs = paper_scale.jobs("samarin2022")
    config = yaml.safe_load((paper_scale.workdir / "config/paper.yaml").read_text())["samarin2022"]
    widths, seeds = len(config["widths"]), len(config["seeds"])
    alex = len(config["fig5"]["widths"])
    assert jobs["figure_table"] == 8 and jobs["figure_markdown"] == 2 and jobs["claims"] == 1
    # Figures 2, 3, 4 (the MNIST runs shared), 5 (three kinds), both tables (one seed, two datasets)
    assert jobs["train"] == 3 * widths * 2 * seeds + alex * 3 * seeds + 2 * widths * 2
    assert jobs["eigenvalues"] == 2 * widths + len(config["fig6"]["alexnet"]["widths"])
    assert jobs["regression"] == 2 * 3 and jobs["prepare_dataset"] == 4  # MNIST, shifted, CIFAR-10, snakes


# ---- Long 2021 (figures/long2021/) ----------------------------------------------------------------

LONG_EPOCH = ["model", "task", "group", "augmentation", "epoch", "series", "mean", "ci", "n"]
LONG_LR = ["model", "task", "group", "augmentation", "lr", "series", "mean", "ci", "n"]
LONG_COLUMNS = {**{n: LONG_EPOCH for n in (1, 2, 3, 4, 5, 6, 7, 8, 16)}, **{n: LONG_LR for n in range(9, 15)},
                15: ["model", "task", "group", "budget", "parameters", "epoch", "mean", "ci", "n", "train_loss"]}
LONG_TEXT = {**{n: ["kernel training epochs"] for n in (1, 2, 3, 4, 5, 6, 7, 8, 16)},
             **{n: ["learning rate"] for n in range(9, 15)}, 15: ["parameters", "network test error"],
             1: ["kernel training epochs", "SVM test error"], 4: ["kernel training epochs", "swap invariance"],
             6: ["kernel training epochs", "alignment with the conjugate kernel"],
             12: ["learning rate", "alignment with the conjugate kernel"]}
# every table but Figure 15's has the networks' training loss, which the claims' preconditions read
LONG_SERIES = {n: series | {"training loss"} for n, series in {
    1: {"svm after kernel"}, 2: {"svm after kernel", "network"}, 4: {"invariance quadrant swap"},
    5: {"invariance translation", "invariance zoom", "invariance rotation"}, 6: {"alignment"},
    7: {"svm after kernel", "svm conjugate kernel"}, 9: {"svm after kernel", "network", "epochs trained"},
    12: {"alignment"}, 13: {"svm after kernel", "svm conjugate kernel"}, 16: {"svm after kernel", "network"}}.items()}


@pytest.fixture(scope="module")
def long_config():
    return yaml.safe_load((ROOT / TEST_CONFIG).read_text())["long2021"]


@pytest.mark.parametrize("n", list(range(1, 17)))
def test_long2021_every_figure_its_data_and_its_axes(built, long_config, n):
    pdf, path = built / f"figures/long2021/fig{n}.pdf", built / f"figures/long2021/fig{n}.csv"
    text = pdf_keywords(pdf)
    assert all(word in text for word in LONG_TEXT[n]), text
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    assert header == LONG_COLUMNS[n]
    t = io.read_csv(path)
    assert len(t["mean"]) > 0 and np.all(t["n"] >= 1)
    if n in LONG_SERIES:
        assert set(t["series"]) == LONG_SERIES[n]
    if "series" in t:
        errors = np.isin(t["series"], ["svm after kernel", "network", "svm conjugate kernel"])
        invariances = np.char.startswith(t["series"].astype(str), "invariance")
        assert fraction(t["mean"][errors]) and np.all(np.abs(t["mean"][invariances]) <= 1 + 1e-9)
    else:
        assert fraction(t["mean"])  # network test errors
    if "epoch" in t and n != 15:
        expected = long_config.get(f"fig{n}", {}).get("epochs") or long_config["epochs"]
        assert sorted(set(t["epoch"].astype(int))) == sorted(expected)
    if "lr" in t:
        assert set(t["lr"]) == set(long_config["lr"]["mnist"]) | set(long_config["lr"]["cifar"])
    if n in (8, 14, 16):  # with and without augmentation
        assert set(t["augmentation"].astype(int)) == {0, 1}
    if n in (4, 5, 6, 8):  # the mega-VGG panel
        assert "mega-VGG" in set(t["model"])
    if n == 15:
        assert len(set(t["budget"])) == len(long_config["fig15"]["budgets"]) and np.all(t["parameters"] > 0)


def test_long2021_scorecard_and_stand_in_titles(built):
    card = io.read_csv(built / "figures/long2021/claims.csv")
    assert set(card["figure"].astype(int)) == set(range(1, 17))
    assert {claims.kind(v) for v in card["verdict"]} <= set(claims.KINDS)
    decided = np.array([claims.kind(v) != claims.NOT_TESTED for v in card["verdict"]])
    assert np.all(np.isfinite(card["value"][decided]))
    sign = card["figure"].astype(int) == 11  # the paper states both signs: one line reports the measured one
    assert sign.sum() == 1 and "Measured: " in card["claim"][sign][0]
    assert any("stand-in for CIFAR-10 cat vs dog" in task for task in io.read_csv(built / "figures/long2021/fig1.csv")["task"])
    assert (built / "figures/long2021/claims.md").read_text().startswith("# Claims scorecard")


def test_long2021_paper_scale_plan(paper_scale):
    jobs = paper_scale.jobs("long2021")
    paper = yaml.safe_load((paper_scale.workdir / "config/paper.yaml").read_text())["long2021"]
    seeds, epochs = len(paper["seeds"]), len(paper["epochs"])
    settings = 2 * len(paper["pairs"] if "pairs" in paper else [[3, 8], [5, 6]]) + 1  # VGG and MLP on MNIST, VGG on cats/dogs
    lr_runs = seeds * (4 * len(paper["lr"]["mnist"]) + len(paper["lr"]["cifar"]))
    assert jobs["figure_table"] == 16 and jobs["prepare_dataset"] == 2  # MNIST and CIFAR-10, pixels in [0, 1]
    # epoch runs (and mega-VGG) with and without augmentation, learning-rate runs with and without, two more budgets
    assert jobs["train"] == 2 * seeds * (settings + 1) + 2 * lr_runs + 2 * settings * seeds
    # one evaluation per state: θ0, each later checkpoint with and without augmentation, each learning rate's end
    assert jobs["evaluation"] == seeds * (settings + 1) * (1 + 2 * (epochs - 1)) + 2 * lr_runs
