"""Tasks: labellings of a prepared dataset's training and test splits (a registry: the single list of
task names the workflow knows, the `{task}` wildcard).

A task name is a kind with its parameters, optionally followed by ``-n<size>`` (a class-stratified
subset of the task's training samples, drawn per seed) or ``-p<size>`` (the first ``size`` samples of
one random permutation of them per seed, so the subsets of one seed are nested): ``classes`` (the
dataset's own labels), ``cifar2`` (classes 0-4 vs 5-9), ``3v8`` (class 3 vs class 8), ``onevsrest0`` (class 0 vs the rest),
``eigenfunction400`` (sign(φ_400) of the NTK at θ0), ``nad16`` (the task along NAD v_16),
``cifar2-n500``, ``cifar2-p500``.

A task file holds ``y_train``/``y_test`` (±1 as int8 for one output; class indices as int64 for
several), ``outputs`` and, when the task keeps only some samples, ``train_indices``/``test_indices``
into the dataset's splits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .errors import ConfigError

# Scopes: what a task's labels depend on besides the dataset.
DATA, SEED, INIT = "data", "seed", "init"
SUBSET = re.compile(r"^(?P<base>.+)-(?P<how>[np])(?P<size>\d+)$")


@dataclass(frozen=True)
class TaskKind:
    """A family of task names (a registry entry): how its names look and where its labels come from."""

    pattern: str  # regular expression of the names of this kind
    scope: str  # DATA: labels from the dataset; INIT: from the network at θ0 (its NTK or its NADs)
    binary: bool
    selects_samples: bool  # keeps only some of the dataset's samples
    labels: Callable[[re.Match, np.ndarray], np.ndarray] | None  # classes -> labels (DATA scope)
    description: str


def sign_labels(values) -> torch.Tensor:
    """sign(v) as ±1 labels, with sign(0) = +1."""
    return torch.from_numpy(np.where(np.asarray(values) >= 0, 1, -1).astype(np.int8))


def _pair_labels(m: re.Match, classes: np.ndarray) -> np.ndarray:
    return np.where(classes == int(m["a"]), 1, -1)


TASKS: dict[str, TaskKind] = {
    "classes": TaskKind(r"classes", DATA, False, False, lambda m, c: c, "the dataset's own class labels"),
    "cifar2": TaskKind(r"cifar2", DATA, True, False, lambda m, c: np.where(c <= 4, 1, -1),
                       "classes 0-4 (+1) vs 5-9 (-1)"),
    "pair": TaskKind(r"(?P<a>\d)v(?P<b>\d)", DATA, True, True, _pair_labels,
                     "class a (+1) vs class b (-1), only the samples of those two classes"),
    "onevsrest": TaskKind(r"onevsrest(?P<c>\d)", DATA, True, False, lambda m, c: np.where(c == int(m["c"]), 1, -1),
                          "class c (+1) vs every other class (-1)"),
    "eigenfunction": TaskKind(r"eigenfunction(?P<j>\d+)", INIT, True, False, None,
                              "sign(φ_j) of the j-th eigenvector (1-based) of the NTK Gram matrix at θ0"),
    "nad": TaskKind(r"nad(?P<j>\d+)", INIT, True, False, None,
                    "sign(v_jᵀx) along the j-th neural anisotropy direction, on Gaussian inputs"),
}


@dataclass(frozen=True)
class TaskName:
    """A parsed task name: its kind, the regular-expression match of its parameters and its subset size."""

    name: str
    kind: str
    match: re.Match
    subset: int | None  # size of the training subset, or None
    nested: bool = False  # the subset is a prefix of the seed's permutation (-p), not stratified (-n)

    @property
    def spec(self) -> TaskKind:
        """The kind's registry entry."""
        return TASKS[self.kind]

    @property
    def scope(self) -> str:
        """What the task depends on: the dataset, the seed (a subset is drawn from it) or θ0."""
        return SEED if self.subset is not None else self.spec.scope

    @property
    def base(self) -> str:
        """The task without its subset suffix."""
        return self.match.string

    @property
    def selects_samples(self) -> bool:
        """Whether the task keeps only some of the dataset's samples."""
        return self.subset is not None or self.spec.selects_samples

    @property
    def binary(self) -> bool:
        """Whether the labels are ±1 (else class indices)."""
        return self.spec.binary


def parse(name: str) -> TaskName:
    """The kind and parameters of a task name; ConfigError if no kind matches."""
    subset = SUBSET.match(name)
    base = subset["base"] if subset else name
    for kind, spec in TASKS.items():
        m = re.fullmatch(spec.pattern, base)
        if m:
            if subset and spec.scope != DATA:
                raise ConfigError(f"task {name!r}: only dataset-labelled tasks take a -n<size> or -p<size> subset")
            return TaskName(name, kind, m, int(subset["size"]) if subset else None, bool(subset) and subset["how"] == "p")
    raise ConfigError(f"unknown task {name!r} (kinds: {', '.join(t.pattern for t in TASKS.values())}, optionally -n<size> or -p<size>)")


def wildcard_pattern(scope: str | None = None) -> str:
    """A regular expression matching every task name, or those of one scope (for Snakemake's
    wildcard constraints)."""
    kinds = [k for k in TASKS.values() if scope is None or k.scope == (DATA if scope == SEED else scope)]
    names = "|".join(re.sub(r"\(\?P<\w+>", "(?:", k.pattern) for k in kinds)
    subset = {None: r"(?:-[np]\d+)?", DATA: "", SEED: r"-[np]\d+", INIT: ""}[scope]
    return rf"(?:{names}){subset}"


def outputs(name: str, classes: int) -> int:
    """Network outputs the task needs: one for a ±1 task, one per class otherwise."""
    return 1 if parse(name).binary else classes


def sample_source(name: str) -> str:
    """The task whose samples a kernel on this task's samples is computed on: the task itself when
    it keeps only some samples, else ``classes`` (the whole dataset), so such kernels are shared."""
    return name if parse(name).selects_samples else "classes"


def build(name: str, y_train_classes: torch.Tensor, y_test_classes: torch.Tensor, *, seed: int | None = None) -> dict:
    """The task file of a dataset-labelled task (scope DATA, or SEED with a subset)."""
    task = parse(name)
    if task.spec.labels is None:
        raise ConfigError(f"task {name!r} is built from the network at θ0, not from the dataset's labels")
    classes_tr, classes_te = y_train_classes.numpy(), y_test_classes.numpy()
    out = {"name": name, "outputs": 1 if task.binary else int(max(classes_tr.max(), classes_te.max())) + 1}
    train_idx = test_idx = None
    if task.spec.selects_samples:
        keep = set(int(g) for g in task.match.groups())
        train_idx, test_idx = np.flatnonzero(np.isin(classes_tr, list(keep))), np.flatnonzero(np.isin(classes_te, list(keep)))
    if task.subset is not None:
        pool = np.arange(len(classes_tr)) if train_idx is None else train_idx
        if task.subset > len(pool):
            raise ConfigError(f"task {name!r}: a subset of {task.subset} from {len(pool)} training samples")
        # the authors draw theirs with random_state = seed + 999; so does this
        pick = nested_subset if task.nested else stratified_subset
        train_idx = pool[pick(classes_tr[pool], task.subset, seed + 999)]
    for split, classes, idx in (("train", classes_tr, train_idx), ("test", classes_te, test_idx)):
        labels = task.spec.labels(task.match, classes if idx is None else classes[idx])
        out[f"y_{split}"] = sign_labels(labels) if task.binary else torch.from_numpy(np.asarray(labels, dtype=np.int64))
        if idx is not None:
            out[f"{split}_indices"] = torch.from_numpy(np.asarray(idx, dtype=np.int64))
    return out


def eigenfunction_task(phi: np.ndarray, n_train: int, name: str) -> dict:
    """Labels sign(φ_j(x)) for the whole dataset (training samples first, then test samples)."""
    y = sign_labels(phi)
    return {"name": name, "outputs": 1, "y_train": y[:n_train], "y_test": y[n_train:]}


def stratified_subset(classes: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` positions with each class in proportion to its share (largest remainders), sorted."""
    g = np.random.default_rng(seed)
    labels, counts = np.unique(classes, return_counts=True)
    quota = counts * size / len(classes)
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take))[: size - take.sum()]] += 1
    picked = [g.permutation(np.flatnonzero(classes == c))[:t] for c, t in zip(labels, take)]
    return np.sort(np.concatenate(picked))


def nested_subset(classes: np.ndarray, size: int, seed: int) -> np.ndarray:
    """The first ``size`` positions of one random permutation of ``len(classes)`` drawn with ``seed``,
    sorted: for one seed, the subset of every smaller size lies inside that of every larger one (a
    stratified draw cannot promise this: its per-class quotas need not grow with the size)."""
    if not 0 <= size <= len(classes):
        raise ConfigError(f"a nested subset of {size} from {len(classes)} samples")
    return np.sort(np.random.default_rng(seed).permutation(len(classes))[:size])
