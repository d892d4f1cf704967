"""Binary tasks: ±1 labellings of a prepared dataset's training and test splits."""

from __future__ import annotations

import numpy as np
import torch


def sign_labels(values) -> torch.Tensor:
    """sign(v) as ±1 labels, with sign(0) = +1."""
    return torch.from_numpy(np.where(np.asarray(values) >= 0, 1, -1).astype(np.int8))


def eigenfunction_task(phi: np.ndarray, n_train: int) -> dict:
    """Labels sign(φ_j(x)) for the 'all' sample set (training samples first, then test samples)."""
    y = sign_labels(phi)
    return {"y_train": y[:n_train], "y_test": y[n_train:]}


def cifar2_task(y_train_classes: torch.Tensor, y_test_classes: torch.Tensor, *, size: int | None = None,
                seed: int | None = None) -> dict:
    """CIFAR2: classes 0-4 are +1, classes 5-9 are -1 (on MNIST-like data: digits 0-4 vs 5-9).

    With ``size``, the training samples are a class-stratified subset of that size drawn with
    ``seed`` (the authors draw theirs with random_state = seed + 999; so does this), listed in
    ``train_indices``; the test split is always whole.
    """
    task = {"y_test": sign_labels(4.5 - y_test_classes.numpy())}
    classes = y_train_classes.numpy()
    if size is None:
        task["y_train"] = sign_labels(4.5 - classes)
        return task
    idx = stratified_subset(classes, size, seed + 999)
    task["train_indices"] = torch.from_numpy(idx)
    task["y_train"] = sign_labels(4.5 - classes[idx])
    return task


def stratified_subset(classes: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` indices with each class in proportion to its share (largest remainders), sorted."""
    g = np.random.default_rng(seed)
    labels, counts = np.unique(classes, return_counts=True)
    quota = counts * size / len(classes)
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take))[: size - take.sum()]] += 1
    picked = [g.permutation(np.flatnonzero(classes == c))[:t] for c, t in zip(labels, take)]
    return np.sort(np.concatenate(picked))
