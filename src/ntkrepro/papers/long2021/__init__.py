"""Long, "Properties of the after kernel" (arXiv 2105.10585): the hard-margin SVM on the NTK after
training (the after kernel) against the NTK at initialization (the FNTK), the network itself and the
conjugate kernel, its invariances, over training epochs and learning rates, on binary MNIST tasks and
CIFAR-10 cat vs dog. Figures under figures/long2021/; ``snakemake long2021`` builds them all."""

from .common import OPTIONAL_SEEDS, PAIR, SEEDS, scale_text as scale  # noqa: F401

KEY = "long2021"
TITLE = "Properties of the after kernel (Long, 2021)"
FOLDER = "figures/long2021"
LRS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "number", "exclusiveMinimum": 0}}
SCHEMA = {
    "enabled": {"type": "boolean", "default": True},
    # the dataset of the MNIST tasks (null: the configured dataset)
    "dataset": {"type": ["string", "null"], "default": None},
    # false: pixel values in [0, 1] as Long's code (x / 255); true: the dataset standardized per channel
    "normalize": {"type": "boolean", "default": False},
    "pairs": {"type": "array", "minItems": 1, "uniqueItems": True, "items": PAIR, "default": [[3, 8], [5, 6]]},
    "cifar": {
        "type": "object",
        "additionalProperties": False,
        "default": {},
        "properties": {
            # the dataset of the CIFAR-10 panels (null: the MNIST tasks' dataset)
            "dataset": {"type": ["string", "null"], "default": None},
            # null: cat (3) vs dog (5) on a CIFAR-10 dataset, else the stand-in pair
            "pair": {"oneOf": [{"type": "null"}, PAIR], "default": None},
            "standin": {**PAIR, "default": [4, 9]},
        },
    },
    # a class-stratified subset of each task's training samples (null: all of them, as the paper)
    "train_size": {"type": ["integer", "null"], "minimum": 2, "default": None},
    "seeds": {**SEEDS, "default": [42, 43, 44, 45, 46, 47, 48, 49, 50, 51]},
    "models": {
        "type": "object",
        "additionalProperties": False,
        "default": {},
        "properties": {
            "vgg": {"type": "string", "default": "long-vgg"},
            "mega": {"type": "string", "default": "long-mega-vgg"},
            "mlp": {"type": "string", "default": "long-mlp"},
        },
    },
    # the recipe of the epoch figures (Keras' defaults) and the checkpoints they read
    "recipe": {"type": "string", "default": "long2021"},
    "epochs": {"type": "array", "minItems": 2, "uniqueItems": True, "items": {"type": "integer", "minimum": 0},
               "default": [0, 1, 3, 10, 30, 100, 200]},
    "lr": {
        "type": "object",
        "additionalProperties": False,
        "default": {},
        "properties": {
            # a recipe with until_loss: trained until the training loss reaches it, for each learning rate
            "recipe": {"type": "string", "default": "long2021-until"},
            "mnist": {**LRS, "default": [0.001, 0.003, 0.01, 0.03, 0.1]},
            "cifar": {**LRS, "default": [0.01, 0.02, 0.03, 0.04]},
            "seeds": OPTIONAL_SEEDS,
        },
    },
    "augmentation": {
        "type": "object",
        "additionalProperties": False,
        "default": {},
        "properties": {"seeds": OPTIONAL_SEEDS},
    },
    "mega_seeds": OPTIONAL_SEEDS,
}
