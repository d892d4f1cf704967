"""The one translation of the kernel settings (the configuration's kernel section, or the kernel
command's options) into the NTK engine's arguments, shared by the workflow's scripts and the CLI."""

import pytest
import torch
from workflow_helpers import ROOT

from ntkrepro import cli, ntk
from ntkrepro import config as cfg
from ntkrepro.invariance import feature_invariance
from ntkrepro.models import build_model, initialize
from ntkrepro.papers import load_all
from ntkrepro.pipeline.kernel_kinds import INFINITE, KINDS, engine_arguments, engine_options

SCHEMA = cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml", load_all())


def kernel_section(**settings):
    """The configuration's kernel section, defaults filled in by the schema, with ``settings`` set."""
    minimal = {"dataset": {"name": "mnist-5k"}, "models": {"lenet": {"arch": "lenet"}}, "recipes": {"r": {}},
               "ortiz2021": {"recipe": "r", "fig7": {"target": 3}}, "kernel": settings}
    return cfg.validate(minimal, SCHEMA)["kernel"]


def test_the_default_settings_are_the_engine_s_defaults_in_float32():
    assert engine_arguments(kernel_section(), **engine_options("ntk-trace"), device="cpu") == {
        "kind": "ntk", "outputs": "trace", "device": "cpu", "dtype": torch.float32, "allow_tf32": False,
        "block_size": None, "memory_bytes": None}


def test_every_setting_reaches_its_argument():
    settings = kernel_section(dtype="float64", block_size=16, allow_tf32=True, memory_gb=0.5)
    arguments = engine_arguments(settings, "conjugate", "scalar")
    assert arguments == {"kind": "conjugate", "outputs": "scalar", "device": None, "dtype": torch.float64,
                         "allow_tf32": True, "block_size": 16, "memory_bytes": 2**29}
    untiled = engine_arguments(settings, "conjugate", "scalar", tiled=False)
    assert untiled == {k: v for k, v in arguments.items() if k not in ("block_size", "memory_bytes")}


def test_the_kernel_command_s_defaults_are_the_configuration_s():
    # `ntkrepro kernel MODEL DATA OUT` computes what the workflow's kernel rule computes by default
    args = cli.parser().parse_args(["kernel", "m.pt", "d.pt", "k.h5"])
    assert engine_arguments(vars(args), args.kind, args.outputs, device=args.device) == engine_arguments(
        kernel_section(), **engine_options("ntk"), device="auto")


@pytest.mark.parametrize("name", [k for k in KINDS if k not in INFINITE])  # infinite kinds: ntkrepro.infinite
def test_the_engine_takes_the_arguments_of_every_kind(name, tmp_path):
    model = initialize(build_model("mlp", (1, 4, 4), {"widths": [8]}), "pytorch", seed=0)
    x = torch.randn(5, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    settings = kernel_section(dtype="float64", block_size=2, memory_gb=0.25)
    arguments = engine_arguments(settings, **engine_options(name), device="cpu")
    expected = ntk.kernel(model, x, **engine_options(name), device="cpu", dtype=torch.float64, block_size=2,
                          memory_bytes=2**28)
    assert torch.equal(ntk.kernel(model, x, **arguments), expected)
    ntk.write_gram(model, x, tmp_path / "k.h5", **arguments)
    assert ntk.gram_meta(tmp_path / "k.h5")["dtype"] == "float64"
    if engine_options(name)["outputs"] != "full":  # invariances take one value per pair
        assert feature_invariance(model, x, families=("shift",),
                                  **engine_arguments(settings, **engine_options(name), device="cpu", tiled=False))
