from pathlib import Path

import pytest
import yaml

from ntkrepro import config as cfg
from ntkrepro.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml")


def load(path):
    return yaml.safe_load((ROOT / path).read_text())


def merged(path):
    """A --configfile as Snakemake applies it: merged, key by key, over config/config.yaml."""
    from snakemake.utils import update_config

    config = load("config/config.yaml")
    update_config(config, load(path))
    return config


@pytest.mark.parametrize("path", ["config/config.yaml", "config/cifar10.yaml", "config/paper.yaml", ".test/config.yaml"])
def test_shipped_configs_are_valid(path):
    cfg.validate(merged(path), SCHEMA)


def test_paper_config_stands_alone():
    assert cfg.validate(load("config/paper.yaml"), SCHEMA) == cfg.validate(merged("config/paper.yaml"), SCHEMA)


def test_defaults_are_filled_in():
    minimal = {"dataset": {"name": "mnist-5k"}, "models": {"lenet": {"arch": "lenet"}}, "fig7": {"target": 3}}
    c = cfg.validate(minimal, SCHEMA)
    assert c["train"]["lr"] == 0.05 and c["train"]["momentum"] == 0.9
    assert c["kernel"]["dtype"] == "float32" and c["spectrum"]["k"] == 1000
    assert c["models"]["lenet"]["activation"] == "relu" and c["dataset"]["root"] == "data/raw"
    assert c["linearization"]["batchnorm_stats"] == "init" and c["compute"]["threads"] == 2


def base():
    return load("config/config.yaml")


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda c: c["train"].update(lrr=0.1), "unknown key 'train.lrr'"),
        (lambda c: c.update(trian={}), "unknown key 'trian'"),
        (lambda c: c["train"].update(epochs="ten"), "'train.epochs': 'ten' is not of type 'integer'"),
        (lambda c: c["train"].update(lr=-1), "'train.lr'"),
        (lambda c: c["dataset"].update(name="cifar100"), "'dataset.name': 'cifar100' is not one of"),
        (lambda c: c["kernel"].update(dtype="float16"), "'kernel.dtype'"),
        (lambda c: c["fig7"].pop("target"), "missing key 'fig7.target'"),
        (lambda c: c["fig7"].update(target=1001), "'fig7.target': eigenfunction 1001 is beyond spectrum.k (1000)"),
        (lambda c: c["spectrum"].update(k=6000), "'spectrum.k': 6000 eigenpairs asked for, but the Gram matrix has only 5000"),
        (lambda c: c["train"].update(batch_size=5000), "'train.batch_size': 5000 exceeds the 4000 training samples"),
        (lambda c: c["dataset"].update(name="synthetic", n_test=None), "needs dataset.n_train and dataset.n_test"),
        (lambda c: c["models"]["lenet"].update(activation="tanh"), "'models.lenet.activation'"),
        (lambda c: c["models"]["lenet"].update(width=8), "'models.lenet.width': not an option of arch 'lenet'"),
        (lambda c: c["models"].update(bad_name={"arch": "mlp"}), "'bad_name'"),
        (lambda c: c["fig2"].update(models=["lenet", "vgg"]), "'fig2.models': model 'vgg' is not defined under models"),
        (lambda c: c["fig4"].update(nads=[1, 300]), "'fig4.nads': index 300 is beyond the 256 input dimensions"),
        (lambda c: c["fig5"].update(sizes=[64, 500]), "'fig5.sizes': 64 is smaller than train.batch_size (128)"),
        (lambda c: c["fig5"].update(sizes=[500, 5000]), "'fig5.sizes': 5000 exceeds the 4000 training samples"),
        (lambda c: c["fig6"].update(epochs=[0, 200]), "'fig6.epochs': epoch 200 is beyond train.epochs (40)"),
        (lambda c: c["fig9"].update(target=2000), "'fig9.target': eigenfunction 2000 is beyond spectrum.k (1000)"),
        (lambda c: c["fig2"].update(eigenfunctions=[0, 5]), "'fig2.eigenfunctions.0'"),
    ],
)
def test_bad_configs_name_the_key(edit, message):
    c = base()
    edit(c)
    with pytest.raises(ConfigError) as e:
        cfg.validate(c, SCHEMA)
    assert message in str(e.value)


def test_command_line_text_is_converted_to_the_schema_types():
    c = base()
    c["train"].update(lr="0.02", epochs="120")
    c["kernel"].update(block_size="null", allow_tf32="true")
    c["models"]["mlp"]["widths"] = ["10", "20"]
    cfg.validate(c, SCHEMA)
    assert c["train"]["lr"] == 0.02 and c["train"]["epochs"] == 120
    assert c["kernel"]["block_size"] is None and c["kernel"]["allow_tf32"] is True
    assert c["models"]["mlp"]["widths"] == [10, 20]


def test_sample_counts():
    assert cfg.sample_counts({"name": "cifar10", "n_train": None, "n_test": None}) == (50_000, 10_000)
    assert cfg.sample_counts({"name": "mnist", "n_train": 100, "n_test": 10**6}) == (100, 10_000)
