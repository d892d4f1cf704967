"""Ortiz-Jiménez, Moosavi-Dezfooli, Frossard, "What can linearized neural networks actually say about
generalization?" (NeurIPS 2021). Its figures keep the paths users know: figures/fig2.pdf ... fig9.pdf."""

from .common import scale_text as scale  # noqa: F401

KEY = "ortiz2021"
TITLE = ("What can linearized neural networks actually say about generalization? "
         "(Ortiz-Jiménez, Moosavi-Dezfooli, Frossard, NeurIPS 2021)")
FOLDER = "figures"
SCHEMA = {
    "enabled": {"type": "boolean", "default": True},
    "dataset": {"type": ["string", "null"], "default": None},
    "seed": {"type": "integer", "minimum": 0},
    "recipe": {"type": "string", "default": "ortiz2021"},
    # Eigenfunction indices in the config are the paper's, of its 60,000-sample kernel; each is used
    # at the same relative depth of the kernel at hand: j·m/reference_samples (null: as written).
    "reference_samples": {"type": ["integer", "null"], "minimum": 1, "default": None},
}
