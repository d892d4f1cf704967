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


def cifar2_task(y_train_classes: torch.Tensor, y_test_classes: torch.Tensor) -> dict:
    """CIFAR2: classes 0-4 are +1, classes 5-9 are -1."""
    return {"y_train": sign_labels(4.5 - y_train_classes.numpy()), "y_test": sign_labels(4.5 - y_test_classes.numpy())}
