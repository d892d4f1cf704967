"""The scalar-output NTK: every layer rule against a float64 reference through the strict
(layerwise) path, the explicit fallback, tiling, and the HDF5 store."""

import logging

import h5py
import numpy as np
import pytest
import torch
from conftest import (
    BatchNormNet,
    ConvZoo,
    InplaceNet,
    LeNet10,
    RawParameterNet,
    SequenceNet,
    SmallCNN,
    randomize_batchnorm,
    reference_gram,
    reference_ntk,
    relative_error,
)
from torch import nn

from ntkrepro import ntk
from ntkrepro.errors import IntegrityError, UnsupportedNetwork
from ntkrepro.models import build_model, initialize
from ntkrepro.ntk import layerwise, rules
from ntkrepro.ntk.engine import GramComputation
from ntkrepro.ntk.functional import FuncJacobian
from ntkrepro.ntk.layerwise import LayerwiseJacobian


def inputs(g, n, shape=(3, 8, 8)):
    return torch.randn(n, *shape, generator=g)


SHAPES = {"conv-zoo": (3, 18, 16)}


NETWORKS = {
    "small-cnn": lambda g: SmallCNN(),
    "batchnorm-eval": lambda g: randomize_batchnorm(BatchNormNet(), g),
    "lenet": lambda g: initialize(build_model("lenet", (3, 8, 8)), "lecun-normal", 0),
    "mlp": lambda g: initialize(build_model("mlp", (3, 8, 8), {"widths": [16, 9]}), "pytorch", 0),
    "resnet18": lambda g: randomize_batchnorm(
        initialize(build_model("resnet18", (3, 8, 8), {"width": 4, "zero_init_residual": False}), "pytorch", 0), g
    ),
    "sequence": lambda g: SequenceNet(),
    "conv-zoo": lambda g: ConvZoo(),
    "fallback": lambda g: RawParameterNet(),
    "inplace": lambda g: InplaceNet(),
}


_CASES = {}


def case(name, n1, n2=None):
    """(model, x1, x2, float64 reference Θ(x1, x2)) for a network of NETWORKS, built once per test
    session from fixed seeds (the references dominate the time of these tests)."""
    key = (name, n1, n2)
    if key not in _CASES:
        torch.manual_seed(0)
        g = torch.Generator().manual_seed(1234)
        model = NETWORKS[name](g)
        shape = SHAPES.get(name, (3, 8, 8))
        x1 = inputs(g, n1, shape)
        x2 = None if n2 is None else inputs(g, n2, shape)
        _CASES[key] = (model, x1, x2, reference_gram(model, x1, x2))
    return _CASES[key]


FALLBACK = {"fallback"}  # networks the layerwise path cannot express: they take torch.func ("auto")


def implementation_for(name):
    return "auto" if name in FALLBACK else "layerwise"


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_symmetric_gram_matches_float64_reference(name, dtype, tol):
    model, x, _, reference = case(name, 23)
    K = ntk.gram(model, x, dtype=dtype, block_size=8, implementation=implementation_for(name))
    assert K.dtype == dtype and K.shape == (23, 23)
    assert relative_error(K, reference) < tol
    assert torch.equal(K, K.T)


@pytest.mark.parametrize("name", ["small-cnn", "batchnorm-eval", "resnet18", "inplace", "fallback"])
def test_rectangular_block_matches_reference(name):
    model, x1, x2, reference = case(name, 17, 11)
    K = ntk.gram(model, x1, x2, dtype=torch.float64, block_size=5, implementation=implementation_for(name))
    assert K.shape == (17, 11)
    assert relative_error(K, reference) < 1e-10


def force_form(monkeypatch, form):
    """Make every layer take one form: "structured" where it has one, or materialized with the
    convolutions' per-sample method ``form`` ("grouped" | "shifts" | "unfold")."""
    real = rules.costs

    def forced(rule, m, a, g, mode):
        materialized, structured = real(rule, m, a, g, mode)
        if form == "structured" and structured < float("inf"):
            return 1.0, 0.0
        return 0.0, 1.0

    monkeypatch.setattr(layerwise, "costs", forced)
    if form != "structured":
        monkeypatch.setattr(rules.Conv2dRule, "method", staticmethod(lambda m, positions: form))


LAYER_KIND_NETWORKS = ["lenet", "mlp", "resnet18", "conv-zoo", "batchnorm-eval", "small-cnn", "sequence", "inplace"]


@pytest.mark.parametrize("form", ["structured", "grouped", "shifts", "unfold"])
@pytest.mark.parametrize("name", LAYER_KIND_NETWORKS)
def test_every_layer_form_matches_reference_through_the_strict_path(name, form, monkeypatch):
    """Each layer kind (dense, convolution by each per-sample method or structured, eval-mode
    BatchNorm, pooling between them) in each form it can take, exact to float64 rounding."""
    model, x1, x2, reference = case(name, 9, 6)
    force_form(monkeypatch, form)
    K = ntk.gram(model, x1, x2, dtype=torch.float64, block_size=4, implementation="layerwise")
    assert relative_error(K, reference) < 1e-10


def test_diagonal_tiles_of_several_row_blocks_are_mirrored_exactly():
    """A diagonal tile is contracted as its upper triangle, one row block at a time; the lower
    triangle is the mirror image (tile of 300 samples: three row blocks)."""
    model, x, _, reference = case("mlp", 300)
    for outputs in ("scalar", "trace"):
        K = ntk.gram(model, x, outputs=outputs, dtype=torch.float64, block_size=300, implementation="layerwise")
        assert torch.equal(K, K.T)
        assert relative_error(K, reference) < 1e-10


def test_every_per_sample_convolution_method_is_chosen_somewhere():
    zoo = ConvZoo()
    chosen = {rules.Conv2dRule.method(m, d) for m, d in [(zoo.few, 128), (zoo.wide, 128), (zoo.small, 36)]}
    assert chosen == {"grouped", "shifts", "unfold"}


def test_paths_chosen_per_network(rng):
    x = inputs(rng, 4)
    lenet = GramComputation(NETWORKS["lenet"](rng), x)
    assert isinstance(lenet.extractor, LayerwiseJacobian)
    assert lenet.extractor.describe().startswith("layerwise (2 structured")  # dense layers structured
    assert isinstance(GramComputation(RawParameterNet(), x).extractor, FuncJacobian)
    inplace = GramComputation(InplaceNet(), x, implementation="layerwise").extractor
    assert [type(m).__name__ for m in inplace.protected] == ["Conv2d"]  # its output is modified in place
    assert isinstance(GramComputation(RawParameterNet(), x, implementation="torch.func").extractor, FuncJacobian)


class GroupedConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.grouped = nn.Conv2d(4, 4, 3, padding=1, groups=2)
        self.head = nn.Linear(4 * 8 * 8, 1)

    def forward(self, x):
        return self.head(torch.tanh(self.grouped(torch.tanh(self.stem(x)))).flatten(1)).squeeze(-1)


def test_strict_path_names_the_layer_it_cannot_express(rng):
    x = inputs(rng, 5)
    with pytest.raises(UnsupportedNetwork, match=r"layer 'grouped' \(Conv2d\): groups=2"):
        ntk.gram(GroupedConvNet(), x, implementation="layerwise")
    with pytest.raises(UnsupportedNetwork, match=r"layer '\(root\)' \(RawParameterNet\)"):
        ntk.gram(RawParameterNet(), x, implementation="layerwise")


def test_fallback_is_a_warning_naming_the_layer_and_the_slowdown(rng, caplog):
    model, x = GroupedConvNet(), inputs(rng, 6)
    with caplog.at_level(logging.WARNING, logger="ntkrepro.ntk"):
        K = ntk.gram(model, x, dtype=torch.float64)
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1
    assert "layer 'grouped' (Conv2d)" in warning[0].message and "x slower" in warning[0].message
    assert relative_error(K, reference_gram(model, x)) < 1e-10


def test_a_wrong_layer_rule_fails_the_strict_path_and_warns_in_auto(rng, monkeypatch, caplog):
    """The probe check compares every layer with autograd: a rule that is off by 1.5 is caught."""
    real = rules.Conv2dRule.dense

    def broken(self, m, a, g, out):
        real(self, m, a, g, out)
        out.mul_(1.5)

    monkeypatch.setattr(rules.Conv2dRule, "dense", broken)
    model, x = NETWORKS["lenet"](rng), inputs(rng, 6)
    with pytest.raises(UnsupportedNetwork, match=r"layer 'features.0' \(Conv2d\).*disagree with autograd"):
        ntk.gram(model, x, implementation="layerwise")
    with caplog.at_level(logging.WARNING, logger="ntkrepro.ntk"):
        K = ntk.gram(model, x, dtype=torch.float64)
    assert any("features.0" in r.message and r.levelno == logging.WARNING for r in caplog.records)
    assert relative_error(K, reference_gram(model, x)) < 1e-10  # torch.func took over


def test_eval_mode_batchnorm_and_model_untouched(rng):
    model = randomize_batchnorm(BatchNormNet(), rng).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = inputs(rng, 9)
    K = ntk.gram(model, x, dtype=torch.float64)
    # one sample alone gives the same kernel entry: samples do not interact (eval-mode BN)
    single = ntk.gram(model, x[:1], dtype=torch.float64)
    assert torch.allclose(K[0, 0], single[0, 0], rtol=1e-12)
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_non_scalar_output_needs_an_output_mode(rng):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 3))
    with pytest.raises(ValueError, match="scalar-output network; this one has 3 outputs"):
        ntk.gram(model, inputs(rng, 4))


def test_tiling_with_small_memory_budget_recomputes_columns_exactly(rng):
    model = SmallCNN()
    x = inputs(rng, 40)
    cached = ntk.gram(model, x, dtype=torch.float64, block_size=8)
    tight = ntk.gram(model, x, dtype=torch.float64, block_size=8, memory_bytes=1)
    assert torch.equal(cached, tight)
    assert relative_error(tight, reference_gram(model, x)) < 1e-12


def test_hdf5_tiles_reassemble_to_the_same_matrix(tmp_path, rng):
    model = NETWORKS["lenet"](rng)
    x = inputs(rng, 37)
    path = tmp_path / "gram.h5"
    info = ntk.write_gram(model, x, path, block_size=8, meta={"samples": "all"})
    K = ntk.read_gram(path, dtype=np.float32)
    assert info["m"] == 37 and info["dtype"] == "float32"
    assert np.array_equal(K, ntk.gram(model, x, block_size=8).numpy())
    assert relative_error(torch.from_numpy(K), reference_gram(model, x)) < 1e-5
    assert not (tmp_path / "gram.h5.partial").exists()
    with h5py.File(path) as h5:
        assert np.array_equal(h5["sample_ids"][:], np.arange(37))


def test_hdf5_follows_the_models_dtype_and_takes_one_parameter_name_as_a_string(tmp_path, rng):
    model = NETWORKS["lenet"](rng).double()
    x = inputs(rng, 12).double()
    info = ntk.write_gram(model, x, tmp_path / "gram.h5")
    assert info["dtype"] == "float64"
    assert torch.equal(torch.from_numpy(ntk.read_gram(tmp_path / "gram.h5")), ntk.gram(model, x))
    name = next(n for n, _ in model.named_parameters())
    ntk.write_gram(model, x, tmp_path / "one.h5", parameters=name)
    assert torch.equal(torch.from_numpy(ntk.read_gram(tmp_path / "one.h5")), ntk.gram(model, x, parameters=[name]))


def test_hdf5_records_which_samples_the_rows_are(tmp_path, rng):
    ids = np.arange(100, 120)
    ntk.write_gram(NETWORKS["lenet"](rng), inputs(rng, 20), tmp_path / "gram.h5", sample_ids=ids)
    with h5py.File(tmp_path / "gram.h5") as h5:
        assert np.array_equal(h5["sample_ids"][:], ids) and h5["gram"].shape == (20, 20)


def test_resumed_gram_equals_uninterrupted(tmp_path, rng, monkeypatch):
    model = NETWORKS["small-cnn"](rng)
    x = inputs(rng, 30)
    ntk.write_gram(model, x, tmp_path / "straight.h5", block_size=7)

    from ntkrepro.ntk import hdf5

    real_save, written = hdf5.io.save_npy, []

    def dying_save(array, path):
        if len(written) == 4:
            raise KeyboardInterrupt("killed")
        real_save(array, path)
        written.append(path)

    monkeypatch.setattr(hdf5.io, "save_npy", dying_save)
    with pytest.raises(KeyboardInterrupt):
        ntk.write_gram(model, x, tmp_path / "resumed.h5", block_size=7)
    assert len(list((tmp_path / "resumed.h5.partial").glob("tile_*.npy"))) == 4
    assert not (tmp_path / "resumed.h5").exists()

    computed = []
    monkeypatch.setattr(hdf5.io, "save_npy", lambda a, p: (computed.append(p), real_save(a, p)))
    ntk.write_gram(model, x, tmp_path / "resumed.h5")  # block size comes from the partial state
    assert len(computed) == 15 - 4  # 5 row tiles -> 15 upper-triangle tiles, 4 already done
    assert np.array_equal(ntk.read_gram(tmp_path / "straight.h5"), ntk.read_gram(tmp_path / "resumed.h5"))


def test_partial_tiles_of_another_model_are_discarded(tmp_path, rng):
    x = inputs(rng, 20)
    a, b = SmallCNN(), SmallCNN()
    ntk.write_gram(a, x, tmp_path / "k.h5", block_size=6)
    partial = tmp_path / "k.h5.partial"
    partial.mkdir()
    (tmp_path / "k.h5").rename(tmp_path / "a.h5")
    # leave a's fingerprint and a bogus tile behind, then compute b's matrix at the same path
    from ntkrepro.ntk.hdf5 import fingerprint

    (partial / "state.json").write_text(f'{{"fingerprint": "{fingerprint(a, x, torch.float32)}", "tile": 6, "m": 20}}')
    np.save(partial / "tile_0_0.npy", np.zeros((6, 6), dtype=np.float32))
    ntk.write_gram(b, x, tmp_path / "k.h5", block_size=6)
    assert np.allclose(ntk.read_gram(tmp_path / "k.h5"), ntk.gram(b, x).numpy(), rtol=1e-6)


def test_full_kernel_is_stored_in_four_dimensions_and_read_sample_major(tmp_path):
    torch.manual_seed(0)
    model, x = LeNet10(), torch.randn(11, 3, 8, 8)
    info = ntk.write_gram(model, x, tmp_path / "full.h5", outputs="full", block_size=4, dtype=torch.float64)
    assert info["kernel"] == "ntk" and info["outputs"] == "full" and info["shape"] == [11, 11, 10, 10]
    K = ntk.read_gram(tmp_path / "full.h5", outputs="full")
    assert K.shape == (11, 11, 10, 10)
    assert relative_error(torch.from_numpy(K), reference_ntk(model, x, outputs="full")) < 1e-10
    M = ntk.read_gram(tmp_path / "full.h5", outputs="full", sample_major=True)
    assert np.array_equal(M, ntk.sample_major(K)) and np.array_equal(M, M.T)
    with ntk.open_gram(tmp_path / "full.h5", outputs="full") as (ds, meta):
        assert ds.shape == (11, 11, 10, 10) and meta["shape"] == [11, 11, 10, 10]


def test_reading_a_kernel_of_another_kind_names_the_file(tmp_path, rng):
    model, x = SmallCNN(), inputs(rng, 9)
    ntk.write_gram(model, x, tmp_path / "conj.h5", kind="conjugate")
    with pytest.raises(IntegrityError, match=r"conj.h5 holds the conjugate kernel with outputs='scalar', not the ntk"):
        ntk.read_gram(tmp_path / "conj.h5")
    K = ntk.read_gram(tmp_path / "conj.h5", kernel="conjugate", dtype=np.float32)
    assert np.array_equal(K, ntk.kernel(model, x, kind="conjugate").numpy())
    assert ntk.gram_meta(tmp_path / "conj.h5")["kernel"] == "conjugate"
    ntk.write_gram(LeNet10(), x, tmp_path / "trace.h5", outputs="trace")
    with pytest.raises(IntegrityError, match="trace.h5 holds the ntk kernel with outputs='trace'"):
        ntk.read_gram(tmp_path / "trace.h5")


def test_resumed_full_kernel_equals_uninterrupted_and_other_kinds_are_not_resumed(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model, x = LeNet10(), torch.randn(20, 3, 8, 8)
    ntk.write_gram(model, x, tmp_path / "straight.h5", outputs="full", block_size=6)

    from ntkrepro.ntk import hdf5

    real_save = hdf5.io.save_npy

    def killed_after_three_tiles(path, outputs):
        written = []

        def dying_save(array, where):
            if len(written) == 3:
                raise KeyboardInterrupt("killed")
            real_save(array, where)
            written.append(where)

        monkeypatch.setattr(hdf5.io, "save_npy", dying_save)
        with pytest.raises(KeyboardInterrupt):
            ntk.write_gram(model, x, path, outputs=outputs, block_size=6)

    computed = []

    def counting_save(array, where):
        computed.append(where)
        real_save(array, where)

    killed_after_three_tiles(tmp_path / "resumed.h5", "full")
    monkeypatch.setattr(hdf5.io, "save_npy", counting_save)
    ntk.write_gram(model, x, tmp_path / "resumed.h5", outputs="full")
    assert len(computed) == 10 - 3  # 4 row tiles -> 10 upper-triangle tiles, 3 already done
    straight = ntk.read_gram(tmp_path / "straight.h5", outputs="full")
    assert np.array_equal(straight, ntk.read_gram(tmp_path / "resumed.h5", outputs="full"))

    # the full kernel's tiles are not taken for the trace kernel of the same network and inputs
    killed_after_three_tiles(tmp_path / "k.h5", "full")
    monkeypatch.setattr(hdf5.io, "save_npy", counting_save)
    computed.clear()
    ntk.write_gram(model, x, tmp_path / "k.h5", outputs="trace", block_size=6)
    assert len(computed) == 10
    assert np.array_equal(ntk.read_gram(tmp_path / "k.h5", outputs="trace", dtype=np.float32),
                          ntk.gram(model, x, outputs="trace", block_size=6).numpy())
