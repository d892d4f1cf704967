from pathlib import Path

import pytest
import yaml

from ntkrepro import config as cfg
from ntkrepro.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml")


def load(path):
    return yaml.safe_load((ROOT / path).read_text())


@pytest.mark.parametrize("path", ["config/config.yaml", "config/cifar10.yaml", "config/paper.yaml", ".test/config.yaml"])
def test_shipped_configs_are_valid(path):
    cfg.validate(load(path), SCHEMA)


def test_defaults_are_filled_in():
    c = cfg.validate({"dataset": {"name": "mnist-5k"}, "train": {}, "fig7": {"target": 3}}, SCHEMA)
    assert c["train"]["lr"] == 0.05 and c["train"]["momentum"] == 0.9
    assert c["kernel"]["dtype"] == "float32" and c["spectrum"]["k"] == 1000
    assert c["architectures"]["lenet"]["activation"] == "relu" and c["dataset"]["root"] == "data/raw"


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
        (lambda c: c["architectures"]["lenet"].update(activation="tanh"), "'architectures.lenet.activation'"),
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
    c["train"].update(lr="0.02", epochs="7")
    c["kernel"].update(block_size="null", allow_tf32="true")
    c["architectures"]["mlp"]["widths"] = ["10", "20"]
    cfg.validate(c, SCHEMA)
    assert c["train"]["lr"] == 0.02 and c["train"]["epochs"] == 7
    assert c["kernel"]["block_size"] is None and c["kernel"]["allow_tf32"] is True
    assert c["architectures"]["mlp"]["widths"] == [10, 20]


def test_sample_counts():
    assert cfg.sample_counts({"name": "cifar10", "n_train": None, "n_test": None}) == (50_000, 10_000)
    assert cfg.sample_counts({"name": "mnist", "n_train": 100, "n_test": 10**6}) == (100, 10_000)
