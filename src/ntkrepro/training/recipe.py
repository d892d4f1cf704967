"""Training recipes: the loss, optimizer, learning-rate schedule, batch size, stopping rule and data
augmentation of a run (registries: the single lists of what `recipes.<name>.*` may name)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..errors import ConfigError


def fitted_outputs(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``outputs`` as (m,) for one output ((m,) or a one-logit module's (m, 1)) or (m, C) for
    several, checked against labels (m,): ±1 for one output, class indices for several."""
    if outputs.dim() == 2 and outputs.shape[1] == 1:
        outputs = outputs[:, 0]
    if labels.dim() != 1 or outputs.dim() not in (1, 2) or len(outputs) != len(labels):
        raise ValueError(
            f"network outputs of shape {tuple(outputs.shape)} do not fit labels of shape {tuple(labels.shape)}: "
            "the recipes take outputs (m,) or (m, 1) with ±1 labels, or (m, C) with class indices (m,)"
        )
    return outputs


def _as_float_labels(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return labels.to(outputs.dtype)


def logistic_loss(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean log(1 + exp(-y f)) for labels y in {-1, +1}: binary cross-entropy on logits, as Keras'
    BinaryCrossentropy(from_logits=True) and optax's sigmoid_binary_cross_entropy with y' = (y+1)/2."""
    outputs = fitted_outputs(outputs, labels)
    if outputs.dim() != 1:
        raise ValueError(f"the logistic loss takes one output per sample; these outputs have shape "
                         f"{tuple(outputs.shape)} (loss 'cross-entropy' takes several)")
    return F.softplus(-_as_float_labels(outputs, labels) * outputs).mean()


def mse_loss(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean squared error over all entries: against ±1 for one output, against one-hot class
    vectors for several (torch.nn.MSELoss's default reduction)."""
    outputs = fitted_outputs(outputs, labels)
    if outputs.dim() == 1:
        return F.mse_loss(outputs, _as_float_labels(outputs, labels))
    return F.mse_loss(outputs, F.one_hot(labels.long(), outputs.shape[1]).to(outputs.dtype))


def cross_entropy_loss(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    outputs = fitted_outputs(outputs, labels)
    if outputs.dim() == 1:
        return logistic_loss(outputs, labels)
    return F.cross_entropy(outputs, labels.long())


LOSSES = {"logistic": logistic_loss, "mse": mse_loss, "cross-entropy": cross_entropy_loss}
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("linear", "constant", "step")
CHECKS = ("every-epoch", "doubling")
LINEARIZED_DECAYS = ("parameters", "displacement")
AUGMENTATIONS = ("none", "shift-rotate")


def correct(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-sample correctness: sign(f) against ±1 labels for one output, argmax for several."""
    outputs = fitted_outputs(outputs, labels)
    if outputs.dim() == 1:
        return (outputs >= 0).to(torch.int8) * 2 - 1 == labels.to(torch.int8)
    return outputs.argmax(dim=1) == labels


def accuracy(outputs: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of samples whose outputs predict their label (argmax, or the sign of one output)."""
    return float(correct(outputs, labels).float().mean())


@dataclass
class Recipe:
    """How a run trains. ``epochs`` is the length (or, with ``until_loss``, the longest allowed)."""

    epochs: int = 100
    batch_size: int = 128
    loss: str = "logistic"
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "linear"  # linear: lr decays to 0 at the last step; step: x step_factor every step_epochs
    step_epochs: int = 30
    step_factor: float = 0.1
    until_loss: float | None = None  # stop once the epoch's mean training loss is at most this
    check: str = "every-epoch"  # when until_loss is checked: every epoch, or after 10, 20, 40, ... (Long's code)
    augmentation: str = "none"
    rotation_degrees: float = 15.0
    shift_pixels: float = 1.0
    # weight decay of a linearization: on θ itself (pulls it to 0), or on its displacement θ − θc from
    # the point it starts at (pulls it back there: decay of u = θ − θ0 when the model trains u)
    linearized_decay: str = "parameters"
    seed: int = 42
    checkpoints: list = field(default_factory=lambda: [0])  # epochs, and "final" (the epoch the run ends at)

    def __post_init__(self):
        for key, value, allowed in (("loss", self.loss, tuple(LOSSES)), ("optimizer", self.optimizer, OPTIMIZERS),
                                    ("schedule", self.schedule, SCHEDULES), ("check", self.check, CHECKS),
                                    ("augmentation", self.augmentation, AUGMENTATIONS),
                                    ("linearized_decay", self.linearized_decay, LINEARIZED_DECAYS)):
            if value not in allowed:
                raise ConfigError(f"unknown recipe {key} {value!r} ({' | '.join(allowed)})")
        bad = [e for e in self.checkpoints if e != "final" and not 0 <= e <= self.epochs]
        if bad:
            raise ConfigError(f"checkpoint epochs {bad} are outside 0..epochs ({self.epochs})")
        if self.until_loss is not None and self.schedule == "linear":
            raise ConfigError("a recipe with until_loss cannot use the linear schedule (its length is not known in advance)")

    def learning_rate(self, step: int, total_steps: int, epoch: int) -> float:
        """Learning rate of a step (0-based) taken during ``epoch`` (1-based)."""
        if self.schedule == "linear":
            return self.lr * (1.0 - step / total_steps)
        if self.schedule == "step":
            return self.lr * self.step_factor ** ((epoch - 1) // self.step_epochs)
        return self.lr

    def optimizer_for(self, params, *, decay: bool = True) -> torch.optim.Optimizer:
        """The optimizer; ``decay=False`` leaves the weight decay out (the loop then adds it itself)."""
        weight_decay = self.weight_decay if decay else 0.0
        if self.optimizer == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=weight_decay)
        return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=weight_decay)

    def checks_loss_after(self, epoch: int) -> bool:
        """Whether the stopping rule looks at the training loss after this epoch."""
        if self.until_loss is None:
            return False
        if self.check == "every-epoch":
            return True
        # Long's code trains 10 epochs, then doubles the chunk: it checks after 10, 30, 70, 150, ...
        boundary = 10
        while boundary < epoch:
            boundary = 2 * boundary + 10
        return boundary == epoch or epoch == self.epochs

    @property
    def loss_fn(self):
        """The loss function the recipe names: ``loss_fn()(outputs, labels)``."""
        return LOSSES[self.loss]
