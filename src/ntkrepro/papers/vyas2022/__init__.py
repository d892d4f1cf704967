"""Vyas, Bansal, Nakkiran, "Limitations of the NTK for understanding generalization in deep learning"
(2022; TMLR 2023 as "Empirical limitations of the NTK for understanding scaling laws in deep
learning"). How test error scales with the number of training samples n for a network trained on n,
for kernel regression with its empirical NTK at θ0, with the infinite-width NTK and with an empirical
NTK taken after training on n0 samples; how that changes with width; how the empirical NTK evolves
through training. Only the abstract and the start of the introduction are available, so every
protocol choice is ours (config/README.md). Its items go to figures/vyas2022/: fig1 ... fig4 (the
paper's numbering is known for Figures 1 and 2 only)."""

from .common import scale_text as scale  # noqa: F401

KEY = "vyas2022"
TITLE = "Limitations of the NTK for understanding generalization in deep learning (Vyas, Bansal, Nakkiran, 2022)"
FOLDER = "figures/vyas2022"
SIZE = {"type": "integer", "minimum": 1}
SCHEMA = {
    "enabled": {"type": "boolean", "default": True},
    # a configured dataset (null: the configured dataset)
    "dataset": {"type": ["string", "null"], "default": None},
    "seeds": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 0},
              "default": [0, 1, 2]},
    # a task name of ntkrepro.tasks without a subset suffix: binary (one output, the scalar NTK) or
    # multi-class (one output per class, the trace NTK)
    "task": {"type": "string", "default": "cifar2"},
    "model": {"type": "string", "default": "vyas-mlp"},
    "recipe": {"type": "string", "default": "vyas2022"},
    # training-set sizes: nested subsets (one permutation per seed) of the dataset's training samples
    "sizes": {"type": "array", "minItems": 2, "uniqueItems": True, "items": SIZE,
              "default": [125, 250, 500, 1000, 2000, 4000]},
    # SGD steps of every run, whatever its n: epochs = ceil(steps / ⌊n / batch_size⌋)
    "steps": {"type": "integer", "minimum": 1, "default": 2000},
    # kernel-regression ridges, relative to the mean diagonal of the training block (0: ridgeless)
    "ridges": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "number", "minimum": 0},
               "default": [0.0, 0.001]},
    "confidence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.95},
    # kernel regression of an empirical kernel around the network's own outputs at its state (the
    # linearized network solved exactly) instead of the kernel alone; the infinite NTK never has one
    "offset": {"type": "boolean", "default": False},
}
