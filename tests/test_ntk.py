import h5py
import numpy as np
import pytest
import torch
from conftest import (
    BatchNormNet,
    ConvZoo,
    InplaceNet,
    RawParameterNet,
    SequenceNet,
    SmallCNN,
    randomize_batchnorm,
    reference_gram,
    relative_error,
)

from ntkrepro import ntk
from ntkrepro.models import build_model, initialize
from ntkrepro.ntk.engine import GramComputation
from ntkrepro.ntk.features import FuncFeatures, HookFeatures


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


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_symmetric_gram_matches_float64_reference(name, dtype, tol, rng):
    torch.manual_seed(0)
    model = NETWORKS[name](rng)
    x = inputs(rng, 23, SHAPES.get(name, (3, 8, 8)))
    K = ntk.gram(model, x, dtype=dtype, block_size=8)
    assert K.dtype == dtype and K.shape == (23, 23)
    assert relative_error(K, reference_gram(model, x)) < tol
    assert torch.equal(K, K.T)


@pytest.mark.parametrize("name", ["small-cnn", "batchnorm-eval", "resnet18", "fallback"])
def test_rectangular_block_matches_reference(name, rng):
    torch.manual_seed(0)
    model = NETWORKS[name](rng)
    x1, x2 = inputs(rng, 17), inputs(rng, 11)
    K = ntk.gram(model, x1, x2, dtype=torch.float64, block_size=5)
    assert K.shape == (17, 11)
    assert relative_error(K, reference_gram(model, x1, x2)) < 1e-10


def test_every_per_sample_convolution_method_is_exercised():
    from ntkrepro.ntk.features import Conv2dRule

    zoo = ConvZoo()
    chosen = {Conv2dRule.method(m, d) for m, d in [(zoo.few, 128), (zoo.wide, 128), (zoo.small, 36)]}
    assert chosen == {"grouped", "shifts", "unfold"}


def test_paths_chosen_per_network(rng):
    x = inputs(rng, 4)
    lenet = GramComputation(NETWORKS["lenet"](rng), x)
    assert isinstance(lenet.extractor, HookFeatures)
    assert lenet.extractor.describe().startswith("layerwise (2 structured")  # dense layers structured
    assert isinstance(GramComputation(RawParameterNet(), x).extractor, FuncFeatures)
    assert isinstance(GramComputation(InplaceNet(), x).extractor, FuncFeatures)


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


def test_non_scalar_output_is_rejected(rng):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 3))
    with pytest.raises(ValueError, match="scalar-output"):
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
