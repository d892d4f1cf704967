"""The loaders read files written here in each dataset's real on-disk format (torchvision layout)."""

import gzip
import pickle
import shutil
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from ntkrepro import data
from ntkrepro.errors import DatasetUnavailable
from ntkrepro.models import build_model


def write_idx(path, array: np.ndarray, compress=False):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def write_mnist_like(root, folder, n_train, n_test, compress=False, seed=0):
    g = np.random.default_rng(seed)
    raw = root / folder
    images = {"train": g.integers(0, 256, (n_train, 28, 28)), "t10k": g.integers(0, 256, (n_test, 28, 28))}
    labels = {"train": g.integers(0, 10, n_train), "t10k": g.integers(0, 10, n_test)}
    for split in ("train", "t10k"):
        write_idx(raw / f"{split}-images-idx3-ubyte", images[split], compress)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels[split], compress)
    return images, labels


def write_cifar10(root, per_batch=20, seed=0):
    g = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": g.integers(0, 256, (per_batch, 3072)).astype(np.uint8), "labels": g.integers(0, 10, per_batch).tolist()}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
        batches[name] = batch
    return batches


def config(name, root, **kw):
    return {"name": name, "root": str(root), "download": False, "n_train": None, "n_test": None, **kw}


def test_cifar10_python_batches(tmp_path):
    batches = write_cifar10(tmp_path)
    ds = data.prepare(config("cifar10", tmp_path))
    assert ds.x_train.shape == (100, 3, 32, 32) and ds.x_test.shape == (20, 3, 32, 32)
    assert ds.y_train.tolist() == sum((batches[f"data_batch_{i}"]["labels"] for i in range(1, 6)), [])
    # per-channel normalization with training statistics
    assert torch.allclose(ds.x_train.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(ds.x_train.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-3)
    raw = batches["data_batch_1"]["data"][0].reshape(3, 32, 32) / 255.0
    expected = (raw - np.array(ds.mean)[:, None, None]) / np.array(ds.std)[:, None, None]
    assert np.allclose(ds.x_train[0].numpy(), expected, atol=1e-5)


def test_caps_keep_statistics_of_the_full_training_split(tmp_path):
    write_cifar10(tmp_path)
    full = data.prepare(config("cifar10", tmp_path))
    capped = data.prepare(config("cifar10", tmp_path, n_train=30, n_test=5))
    assert capped.n_train == 30 and capped.n_test == 5
    assert capped.mean == full.mean and torch.equal(capped.x_train, full.x_train[:30])


@pytest.mark.parametrize("name,folder,compress", [("mnist", "MNIST/raw", False), ("fashion-mnist", "FashionMNIST/raw", True)])
def test_idx_datasets(tmp_path, name, folder, compress):
    images, labels = write_mnist_like(tmp_path, folder, 50, 10, compress)
    ds = data.prepare(config(name, tmp_path))
    assert ds.input_shape == (1, 28, 28) == data.input_shape({"name": name})
    assert ds.y_train.tolist() == labels["train"].tolist()
    assert ds.y_test.tolist() == labels["t10k"].tolist()
    x = images["train"][3] / 255.0
    assert np.allclose(ds.x_train[3, 0].numpy(), (x - ds.mean[0]) / ds.std[0], atol=1e-5)


def test_lenet_runs_on_fashion_mnist_shapes(tmp_path):
    write_mnist_like(tmp_path, "FashionMNIST/raw", 8, 4)
    ds = data.prepare(config("fashion-mnist", tmp_path))
    model = build_model("lenet", ds.input_shape)
    assert model(ds.x_train).shape == (8,)


def test_missing_files_offline_name_the_files_and_the_folder(tmp_path):
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare(config("cifar10", tmp_path / "nowhere"))
    msg = str(e.value)
    assert "data_batch_1" in msg and "test_batch" in msg and str(tmp_path / "nowhere" / "cifar-10-batches-py") in msg
    assert "dataset.download: false" in msg and "dataset.root" in msg


def test_failed_download_is_one_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare({**config("mnist", tmp_path), "download": True})
    msg = str(e.value)
    assert "downloading them failed" in msg and "train-images-idx3-ubyte" in msg and str(tmp_path / "MNIST" / "raw") in msg


def test_failed_download_leaves_no_folder_behind(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DatasetUnavailable, match="downloading them failed"):
        data.prepare({**config("mnist", tmp_path / "mistyped" / "root"), "download": True})
    assert list(tmp_path.iterdir()) == []


def test_download_moves_its_files_into_the_root(tmp_path, monkeypatch):
    import torchvision

    class FakeMNIST:
        def __init__(self, root, train, download):
            write_mnist_like(Path(root), "MNIST/raw", 6, 4)

    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    root = tmp_path / "new" / "root"
    ds = data.prepare({**config("mnist", root), "download": True})
    assert (ds.n_train, ds.n_test) == (6, 4)
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted(data.formats.MNIST_FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["new"] and [p.name for p in (tmp_path / "new").iterdir()] == ["root"]


def test_truncated_idx_file_is_reported(tmp_path):
    write_mnist_like(tmp_path, "MNIST/raw", 5, 5)
    path = tmp_path / "MNIST/raw/train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetUnavailable, match="truncated"):
        data.prepare(config("mnist", tmp_path))


def test_mnist_5k_split_is_stratified_and_fixed():
    a = data.prepare({"name": "mnist-5k"})
    b = data.prepare({"name": "mnist-5k"})
    assert a.n_train == 4000 and a.n_test == 1000
    assert np.bincount(a.y_train.numpy()).tolist() == [400] * 10
    assert np.bincount(a.y_test.numpy()).tolist() == [100] * 10
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert len(set(a.y_train[:20].tolist())) > 3  # shuffled, not sorted by class


def test_synthetic_sizes_and_shape():
    ds = data.prepare({"name": "synthetic", "n_train": 30, "n_test": 7,
                       "synthetic": {"channels": 2, "size": 6, "classes": 4, "seed": 1}})
    assert ds.x_train.shape == (30, 2, 6, 6) and ds.x_test.shape == (7, 2, 6, 6)
    assert set(ds.y_train.tolist()) <= set(range(4))


def test_dataset_file_round_trip(tmp_path):
    ds = data.prepare({"name": "synthetic", "n_train": 5, "n_test": 3,
                       "synthetic": {"channels": 1, "size": 4, "classes": 2, "seed": 0}})
    ds.save(tmp_path / "d.pt")
    back = data.Dataset.load(tmp_path / "d.pt")
    assert torch.equal(back.inputs("all"), torch.cat([ds.x_train, ds.x_test])) and back.mean == ds.mean


def test_split_sizes_follow_the_images_present(tmp_path):
    """Caps are caps: a user's MNIST-format copy with fewer images than n_train / n_test counts as it is."""
    write_mnist_like(tmp_path, "MNIST/raw", 150, 30)
    spec = config("mnist", tmp_path, n_train=4000, n_test=1000)
    assert data.split_sizes(spec) == (150, 30)
    ds = data.prepare(spec)
    assert (ds.n_train, ds.n_test) == (150, 30)
    assert data.split_sizes(config("mnist", tmp_path / "elsewhere", n_train=4000)) == (4000, 10_000)  # not there yet


def test_normalize_false_keeps_pixels_in_unit_interval():
    raw = data.prepare({"name": "mnist-5k", "normalize": False})
    standard = data.prepare({"name": "mnist-5k"})
    assert float(raw.x_train.min()) == 0.0 and float(raw.x_train.max()) == 1.0
    assert raw.mean == [0.0] and raw.std == [1.0]
    assert torch.allclose(standard.x_train, (raw.x_train - standard.mean[0]) / standard.std[0], atol=1e-5)


class RunsCode:
    """Unpickling this runs its command: what a crafted batch in a shared dataset folder could do."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


@pytest.mark.parametrize("payload", ["os.system", "builtins.exec"])
def test_a_cifar10_batch_that_would_run_code_is_refused_unexecuted(tmp_path, payload):
    import builtins
    import os

    write_cifar10(tmp_path)
    marker = tmp_path / "payload-ran"
    call = (RunsCode(os.system, f"touch {marker}") if payload == "os.system"
            else RunsCode(builtins.exec, f"open({str(marker)!r}, 'w').close()"))
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    with open(batch, "wb") as f:
        pickle.dump({"data": call, "labels": [0]}, f, protocol=2)
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare(config("cifar10", tmp_path))
    assert not marker.exists()
    msg = str(e.value)
    assert str(batch) in msg and "refused" in msg and len(msg.splitlines()) == 1


def test_cifar10_batches_as_the_release_pickles_them_load(tmp_path):
    """The release's batches (Python 2, protocol 2) name numpy.core.multiarray._reconstruct, numpy.ndarray
    and numpy.dtype; they also hold batch_label and filenames."""
    batches = write_cifar10(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    for name, batch in batches.items():
        release = {**batch, "batch_label": f"{name} of 5", "filenames": [f"img_{i}.png" for i in range(len(batch["labels"]))]}
        raw = pickle.dumps(release, protocol=2).replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        assert b"cnumpy.core.multiarray\n_reconstruct\n" in raw
        (folder / name).write_bytes(raw)
    ds = data.prepare(config("cifar10", tmp_path, normalize=False))
    assert ds.y_test.tolist() == batches["test_batch"]["labels"]
    assert np.allclose(ds.x_train[0].numpy(), batches["data_batch_1"]["data"][0].reshape(3, 32, 32) / 255.0)


def one_line_naming(error, path) -> str:
    msg = str(error.value)
    assert str(path) in msg and len(msg.splitlines()) == 1, msg
    return msg


def test_a_corrupt_gzipped_idx_file_is_one_line_naming_it(tmp_path):
    write_mnist_like(tmp_path, "MNIST/raw", 50, 10, compress=True)
    gz = tmp_path / "MNIST/raw/train-images-idx3-ubyte.gz"
    raw = bytearray(gz.read_bytes())
    raw[20:60] = bytes(40)  # the deflate stream damaged, the gzip header intact
    gz.write_bytes(bytes(raw))
    spec = config("mnist", tmp_path)
    assert data.split_sizes(spec) == (60_000, 10_000)  # planning counts nominally; the job reports the file
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare(spec)
    assert "corrupt" in one_line_naming(e, gz)
    gz.write_bytes(gz.read_bytes()[:30])  # cut inside the stream
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare(spec)
    assert "corrupt" in one_line_naming(e, gz)


def test_idx_images_of_another_size_are_refused_naming_the_file(tmp_path):
    write_mnist_like(tmp_path, "MNIST/raw", 6, 4)
    path = tmp_path / "MNIST/raw/t10k-images-idx3-ubyte"
    write_idx(path, np.zeros((4, 32, 32)))
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare(config("mnist", tmp_path))
    assert "32x32" in one_line_naming(e, path) and "28x28" in str(e.value)


@pytest.mark.parametrize("label", [10, 255])
def test_idx_labels_outside_the_classes_are_refused_naming_the_file(tmp_path, label):
    write_mnist_like(tmp_path, "FashionMNIST/raw", 6, 4)
    path = tmp_path / "FashionMNIST/raw/train-labels-idx1-ubyte"
    write_idx(path, np.array([0, 1, 2, label, 4, 5]))
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare(config("fashion-mnist", tmp_path))
    assert f"label {label} at index 3 is outside 0..9" in one_line_naming(e, path)


def test_cifar10_labels_outside_the_classes_are_refused_naming_the_file(tmp_path):
    batches = write_cifar10(tmp_path, per_batch=4)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    with open(path, "wb") as f:
        pickle.dump({**batches["test_batch"], "labels": [1, 2, -1, 3]}, f, protocol=2)
    with pytest.raises(DatasetUnavailable) as e:
        data.prepare(config("cifar10", tmp_path))
    assert "label -1 at index 2 is outside 0..9" in one_line_naming(e, path)


def test_a_truncated_image_is_refused_naming_the_file(tmp_path):
    from PIL import Image

    g = np.random.default_rng(0)
    for split in ("train", "val"):
        for c in ("a", "b"):
            (tmp_path / split / c).mkdir(parents=True)
            for i in range(2):
                Image.fromarray(g.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(tmp_path / split / c / f"img{i}.png")
    bad = tmp_path / "val" / "b" / "img1.png"
    bad.write_bytes(bad.read_bytes()[:200])
    spec = {"classes": ["a", "b"], "train": "train", "test": "val", "resize": 20, "crop": 16}
    with pytest.raises(DatasetUnavailable) as e:
        data.formats.read_image_folder(tmp_path, spec)
    assert "truncated or not an image" in one_line_naming(e, bad)


def test_a_different_copy_under_dataset_root_is_refused_naming_it(tmp_path):
    from ntkrepro.errors import ConfigError

    first, other, moved = tmp_path / "first", tmp_path / "other", tmp_path / "moved"
    write_mnist_like(first, "MNIST/raw", 20, 10, seed=0)
    write_mnist_like(other, "MNIST/raw", 20, 10, seed=1)  # the same sizes, other digits
    shutil.copytree(first, moved)
    record = tmp_path / "mnist.source.json"
    data.write_source_record(config("mnist", first), record)
    data.check_source(config("mnist", other), record)  # no prepared mnist.pt beside it: it will be made anyway
    (tmp_path / "mnist.pt").write_bytes(b"")
    data.check_source(config("mnist", first), record)
    data.check_source(config("mnist", moved), record)  # the same files elsewhere: the same data
    data.check_source(config("mnist", tmp_path / "empty"), record)  # none there yet (to download): nothing to compare
    data.check_source(config("mnist", other), tmp_path / "never-prepared.json")
    with pytest.raises(ConfigError, match=rf"^dataset 'mnist': the files under dataset.root \({other}\) are not those "
                                          rf"{tmp_path / 'mnist.pt'} was prepared from .*delete {tmp_path / 'mnist.pt'} to "
                                          r"rebuild it"):
        data.check_source(config("mnist", other), record)
    assert data.source_digest(config("mnist-5k", tmp_path)) is None

