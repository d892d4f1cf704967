"""Configuration checks: shipped configs valid, defaults, every bad input named by its key, and the
schema's lists equal to the library's registries."""

import types
from pathlib import Path

import pytest
import torch
import yaml

from ntkrepro import config as cfg
from ntkrepro import data, models, training
from ntkrepro.errors import ConfigError
from ntkrepro.papers import load_all
from ntkrepro.pipeline.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
PAPERS = load_all()
SCHEMA = cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml", PAPERS)


def load(path):
    return yaml.safe_load((ROOT / path).read_text())


def merged(path):
    """A --configfile as Snakemake applies it: merged, key by key, over config/config.yaml."""
    from snakemake.utils import update_config

    config = load("config/config.yaml")
    update_config(config, load(path))
    return config


def edited(path, **edits):
    """``merged(path)`` with dotted keys set: ``edited(p, **{"a.b": 1})`` sets config["a"]["b"] = 1."""
    config = merged(path)
    for key, value in edits.items():
        node = config
        *parents, last = key.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[last] = value
    return config


def valid(config):
    cfg.validate(config, SCHEMA)
    Plan(config, PAPERS)  # the figures check their own sections when the plan is made
    return config


@pytest.mark.parametrize("path", ["config/config.yaml", "config/cifar10.yaml", "config/paper.yaml", ".test/config.yaml"])
def test_shipped_configs_are_valid(path):
    valid(merged(path))


def test_defaults_are_filled_in():
    minimal = {"dataset": {"name": "mnist-5k"}, "models": {"lenet": {"arch": "lenet"}}, "recipes": {"r": {}},
               "ortiz2021": {"recipe": "r", "fig7": {"target": 3}}}
    c = cfg.validate(minimal, SCHEMA)
    assert c["recipes"]["r"]["lr"] == 0.05 and c["recipes"]["r"]["momentum"] == 0.9
    assert c["recipes"]["r"]["loss"] == "logistic" and c["recipes"]["r"]["until_loss"] is None
    assert c["kernel"]["dtype"] == "float32" and c["spectrum"]["k"] == 1000
    assert c["models"]["lenet"]["activation"] == "relu" and c["dataset"]["root"] == "data/raw"
    assert c["linearization"]["batchnorm_stats"] == "init" and c["compute"]["threads"] == 2
    assert c["ortiz2021"]["fig7"]["model"] == "lenet" and c["ortiz2021"]["enabled"] is True


def base():
    return load("config/config.yaml")


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda c: c["recipes"]["ortiz2021"].update(lrr=0.1), "unknown key 'recipes.ortiz2021.lrr'"),
        (lambda c: c.update(trian={}), "unknown key 'trian'"),
        (lambda c: c["recipes"]["ortiz2021"].update(epochs="ten"), "'recipes.ortiz2021.epochs': 'ten' is not of type 'integer'"),
        (lambda c: c["recipes"]["ortiz2021"].update(lr=-1), "'recipes.ortiz2021.lr'"),
        (lambda c: c["recipes"]["ortiz2021"].update(lr="1e-3x"), "'recipes.ortiz2021.lr': '1e-3x' is not a number"),
        (lambda c: c["recipes"]["ortiz2021"].update(loss="hinge"), "'recipes.ortiz2021.loss': 'hinge' is not one of"),
        (lambda c: c["recipes"]["ortiz2021"].update(until_loss=0.01), "recipes.ortiz2021': a recipe with until_loss cannot use the linear"),
        (lambda c: c["dataset"].update(name="cifar100"), "'dataset.name': 'cifar100' is not one of"),
        (lambda c: c["kernel"].update(dtype="float16"), "'kernel.dtype'"),
        (lambda c: c["ortiz2021"]["fig7"].pop("target"), "missing key 'ortiz2021.fig7.target'"),
        (lambda c: c["ortiz2021"].update(reference_samples=None) or c["ortiz2021"]["fig7"].update(target=1001), "'ortiz2021.fig7.target': eigenfunction 1001 is beyond spectrum.k (1000)"),
        (lambda c: c["ortiz2021"]["fig7"].update(eigenfunctions=20000), "'ortiz2021.fig7.eigenfunctions': 1667 eigenfunctions are more than spectrum.k (1000) keeps"),
        (lambda c: c["ortiz2021"]["fig7"].update(eigenfunctions=400, target=500), "'ortiz2021.fig7.eigenfunctions': the target φ_42 lies beyond the 33 eigenfunctions shown"),
        (lambda c: c["spectrum"].update(k=6000), "'spectrum.k': 6000 eigenpairs asked for, but the Gram matrix has only 5000"),
        (lambda c: c["recipes"]["ortiz2021"].update(batch_size=5000), "'recipes.ortiz2021.batch_size': 5000 exceeds the 4000 training samples"),
        (lambda c: c["dataset"].update(name="synthetic", n_test=None), "needs dataset.n_train and dataset.n_test"),
        (lambda c: c["models"]["lenet"].update(activation="tanh"), "'models.lenet.activation'"),
        (lambda c: c["models"]["lenet"].update(width=8), "'models.lenet.width': not an option of arch 'lenet'"),
        (lambda c: c["models"]["lenet"].update(init="xavier"), "'models.lenet.init': 'xavier' is not one of"),
        (lambda c: c["models"].update(bad_name={"arch": "mlp"}), "'bad_name'"),
        (lambda c: c["ortiz2021"]["fig2"].update(models=["lenet", "vgg"]), "section 'ortiz2021.fig2': model 'vgg' is not defined under models"),
        (lambda c: c["ortiz2021"].update(recipe="fast"), "section 'ortiz2021.fig2': recipe 'fast' is not defined under recipes"),
        (lambda c: c["ortiz2021"]["fig4"].update(nads=[1, 300]), "'ortiz2021.fig4.nads': index 300 is beyond the 256 input dimensions"),
        (lambda c: c["ortiz2021"]["fig5"].update(sizes=[64, 500]), "'ortiz2021.fig5.sizes': 64 is smaller than the recipe's batch_size (128)"),
        (lambda c: c["ortiz2021"]["fig5"].update(sizes=[500, 5000]), "'ortiz2021.fig5.sizes': 5000 exceeds the 4000 training samples"),
        (lambda c: c["ortiz2021"]["fig6"].update(epochs=[0, 200]), "'ortiz2021.fig6.epochs': epoch 200 is beyond the recipe's epochs (40)"),
        (lambda c: c["ortiz2021"]["fig9"].update(target=13000), "'ortiz2021.fig9.target': eigenfunction 1083 is beyond spectrum.k (1000)"),
        (lambda c: c["ortiz2021"]["fig2"].update(eigenfunctions=[0, 5]), "'ortiz2021.fig2.eigenfunctions.0'"),
        (lambda c: c["recipes"]["ortiz2021"].update(lr=float("nan")), "'recipes.ortiz2021.lr': nan is not a finite number"),
        (lambda c: c["recipes"]["ortiz2021"].update(lr="nan"), "'recipes.ortiz2021.lr': nan is not a finite number"),
        (lambda c: c["recipes"]["ortiz2021"].update(weight_decay=float("inf")), "'recipes.ortiz2021.weight_decay': inf is not a finite number"),
        (lambda c: c["kernel"].update(memory_gb=".inf"), "'kernel.memory_gb': inf is not a finite number"),
        (lambda c: c["models"]["mlp"].update(widths=[10, float("-inf")]), "'models.mlp.widths.1': -inf is not a finite number"),
    ],
)
def test_bad_configs_name_the_key(edit, message):
    c = base()
    edit(c)
    with pytest.raises(ConfigError) as e:
        valid(c)
    assert message in str(e.value)


def test_a_figure_refused_is_kept_aside_until_needed_without_what_it_asked_for(monkeypatch):
    # the workflow's plan (strict=False): a build of figure 7 is not stopped by figure 5's sizes
    fig5 = PAPERS["ortiz2021"].figures["fig5"]
    refuses = fig5.needs

    def asks_then_refuses(ctx):
        ctx.plan.path(ctx.run("cifar2-n300", "lenet"))  # a run no other figure asks for
        return refuses(ctx)

    monkeypatch.setattr(fig5, "needs", asks_then_refuses)
    c = base()
    c["ortiz2021"]["fig5"].update(sizes=[500, 5000])
    config = cfg.validate(c, SCHEMA)
    message = "config key 'ortiz2021.fig5.sizes': 5000 exceeds the 4000 training samples"
    with pytest.raises(ConfigError, match=message):
        Plan(config, PAPERS)
    plan = Plan(config, PAPERS, strict=False)
    with pytest.raises(ConfigError, match=message):
        plan.figure("fig5")
    assert plan.figure("fig7").inputs and "figures/fig5.pdf" in plan.targets()
    without = Plan(cfg.validate({**base(), "ortiz2021": {**base()["ortiz2021"], "fig5": None}}, SCHEMA), PAPERS)
    assert set(plan.runs()) == set(without.runs()) and not any(r.task == "cifar2-n300" for r in plan.runs())
    assert {r: plan.checkpoints(r) for r in plan.runs()} == {r: without.checkpoints(r) for r in without.runs()}


def test_yaml_exponents_without_a_dot_are_numbers():
    c = base()
    c["recipes"]["ortiz2021"].update(yaml.safe_load("lr: 1e-3\nweight_decay: 5e-5"))
    assert c["recipes"]["ortiz2021"]["lr"] == "1e-3"  # what YAML 1.1 reads...
    valid(c)
    assert c["recipes"]["ortiz2021"]["lr"] == 1e-3 and c["recipes"]["ortiz2021"]["weight_decay"] == 5e-5  # ...a number


def test_command_line_text_is_converted_to_the_schema_types():
    c = base()
    c["recipes"]["ortiz2021"].update(lr="0.02", epochs="120")
    c["kernel"].update(block_size="null", allow_tf32="true")
    c["models"]["mlp"]["widths"] = ["10", "20"]
    c["ortiz2021"]["fig7"]["target"] = "400"
    valid(c)
    assert c["recipes"]["ortiz2021"]["lr"] == 0.02 and c["recipes"]["ortiz2021"]["epochs"] == 120
    assert c["kernel"]["block_size"] is None and c["kernel"]["allow_tf32"] is True
    assert c["models"]["mlp"]["widths"] == [10, 20] and c["ortiz2021"]["fig7"]["target"] == 400


def test_a_disabled_paper_plans_nothing():
    c = base()
    for key in PAPERS:
        if key in c:
            c[key]["enabled"] = False
    plan = Plan(cfg.validate(c, SCHEMA), PAPERS)
    assert "ortiz2021" not in plan.papers and not any(f.paper == "ortiz2021" for f in plan.figures)
    assert not [t for t in plan.targets() if t.startswith("figures/fig") or t.startswith("figures/claims")]
    for key in PAPERS:
        if key in c:
            c[key]["enabled"] = False
    plan = Plan(cfg.validate(c, SCHEMA), PAPERS)
    assert plan.targets() == [] and plan.figures == []


def test_schema_lists_are_the_registries():
    defs = SCHEMA["definitions"]
    assert defs["dataset"]["properties"]["name"]["enum"] == list(data.SOURCES)
    assert defs["model"]["properties"]["arch"]["enum"] == list(models.ARCHITECTURES)
    for arch in models.ARCHITECTURES.values():
        assert set(arch.options) <= set(defs["model"]["properties"])
    assert SCHEMA["properties"]["init"]["properties"]["scheme"]["enum"] == list(models.INITIALIZATIONS)
    assert defs["recipe"]["properties"]["loss"]["enum"] == list(training.LOSSES)
    assert set(defs["recipe"]["properties"]) == {f for f in training.Recipe.__dataclass_fields__} - {"seed", "checkpoints"}
    assert set(PAPERS) <= set(SCHEMA["properties"])


def test_yaml_nan_and_inf_are_refused_naming_the_key():
    c = base()
    c["recipes"]["ortiz2021"].update(yaml.safe_load("lr: .nan"))
    with pytest.raises(ConfigError, match=r"^config key 'recipes.ortiz2021.lr': nan is not a finite number"):
        valid(c)


def test_a_duplicate_yaml_key_is_refused_naming_the_key_and_the_file(tmp_path):
    from ntkrepro import cli_hints

    path = tmp_path / "mine.yaml"
    path.write_text("recipes:\n  ortiz2021:\n    lr: 0.1\n    epochs: 3\n    lr: 0.01\n")
    message = cli_hints.problem(path)
    assert message == f"config file {path}, line 5, column 5: duplicate key 'lr' (first at line 3)"
    path.write_text("recipes:\n  ortiz2021:\n    lr: 0.1\n  other:\n    lr: 0.1\n")  # the same key in two mappings
    assert cli_hints.problem(path) is None


def test_the_workflow_refuses_a_duplicate_key_in_any_config_file(tmp_path):
    from ntkrepro import strict_yaml

    path = tmp_path / "mine.yaml"
    path.write_text("seed: 1\nseed: 2\n")
    with pytest.raises(ConfigError, match=rf"^config file {path}, line 2, column 1: duplicate key 'seed'"):
        strict_yaml.check_file(path)
    path.write_text("seed: 1\n")
    strict_yaml.check_file(path)
    common = (Path(__file__).resolve().parents[1] / "workflow/rules/common.smk").read_text()
    assert "for configfile in workflow.configfiles:\n        strict_yaml.check_file(configfile)" in common


def test_cuda_is_accepted_where_the_config_is_read_without_a_gpu(monkeypatch):
    """A SLURM submit host has no GPU; its jobs run on GPU nodes."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    c = base()
    c["compute"]["device"] = c["spectrum"]["device"] = "cuda"
    valid(c)


class FakeJob:
    """What a rule's script receives as ``snakemake``: its params, log and rule."""

    def __init__(self, tmp_path, **params):
        self.params = types.SimpleNamespace(**params)
        self.log = [str(tmp_path / "job.log")]
        self.rule = "kernel_init"
        self.threads = 1


@pytest.mark.parametrize("key", ["compute.device", "spectrum.device"])
def test_a_job_asking_for_cuda_on_a_machine_without_one_stops_before_its_work(tmp_path, monkeypatch, key):
    from ntkrepro import workflow

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    section, name = key.split(".")
    params = {"compute": {"device": "auto", "threads": 1}, section: {name: "cuda", "threads": 1}}
    ran = []
    with pytest.raises(SystemExit) as e:
        workflow.run(FakeJob(tmp_path, **params), lambda snakemake, log: ran.append(True))
    assert e.value.code == 1 and not ran
    logged = (tmp_path / "job.log").read_text().strip().splitlines()
    assert len(logged) == 1 and f"kernel_init: config key '{key}': cuda, but this machine (" in logged[0]
    assert logged[0].endswith("has no CUDA GPU (use auto or cpu)")
    workflow.run(FakeJob(tmp_path, compute={"device": "cpu", "threads": 1}), lambda snakemake, log: ran.append(True))
    assert ran == [True]
