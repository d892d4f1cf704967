"""Samarin, Roth, Belius, "Feature learning and random features in standard finite-width convolutional
neural networks: an empirical study" (UAI 2022). LeNet and AlexNet against their linearizations at
θ0 as the width grows, on MNIST, MNIST with random shifts, CIFAR-10 and an ImageNet snake subset;
the effective rank and singular spectrum of the 10-output Jacobian; the binary MNIST task solved
exactly. Its items go to figures/samarin2022/: fig2 ... fig7, table1 and table2."""

from .common import scale_text as scale  # noqa: F401

KEY = "samarin2022"
TITLE = ("Feature learning and random features in standard finite-width convolutional neural networks "
         "(Samarin, Roth, Belius, UAI 2022)")
FOLDER = "figures/samarin2022"
WIDTH = {"type": "number", "exclusiveMinimum": 0}
SCHEMA = {
    "enabled": {"type": "boolean", "default": True},
    # an MNIST-format dataset (null: the configured dataset); its shifted copy is derived from it
    "dataset": {"type": ["string", "null"], "default": None},
    "seed": {"type": "integer", "minimum": 0},
    "seeds": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 0},
              "default": [42, 43, 44, 45, 46]},
    "recipe": {"type": "string", "default": "samarin2022"},
    "model": {"type": "string", "default": "lenet5"},
    "widths": {"type": "array", "minItems": 1, "uniqueItems": True, "items": WIDTH, "default": [1, 2, 5, 10, 25, 60]},
    "shift": {
        "type": "object",
        "additionalProperties": False,
        "default": {"pixels": 7, "splits": "both", "seed": 0},
        "properties": {
            "pixels": {"type": "integer", "minimum": 1, "default": 7},
            "splits": {"type": "string", "enum": ["train", "test", "both"], "default": "both"},
            "seed": {"type": "integer", "minimum": 0, "default": 0},
        },
    },
    "jacobian_samples": {"type": "integer", "minimum": 1, "default": 600},
    "singular_values_of": {"type": "string", "enum": ["kernel", "jacobian"], "default": "kernel"},
    "zero_rtol": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": None},
}
