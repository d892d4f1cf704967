"""Training: recipes (loss, optimizer, schedule, stopping, augmentation) and the one training loop."""

from .loop import FINAL, Result, batch_order, checkpoint_name, distances, parameters_flat, train
from .recipe import LOSSES, Recipe, accuracy, correct

__all__ = ["FINAL", "LOSSES", "Recipe", "Result", "accuracy", "batch_order", "checkpoint_name", "correct", "distances",
           "parameters_flat", "train"]
