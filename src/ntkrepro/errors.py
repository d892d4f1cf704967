"""Errors a user can act on: each carries one message that names the key, file or value at fault."""


class NtkReproError(Exception):
    """Base class; the workflow prints the message alone, without a traceback."""


class ConfigError(NtkReproError):
    """A configuration key, type or value is wrong."""


class DatasetUnavailable(NtkReproError):
    """Dataset files are missing and could not be downloaded."""


class ResourceError(NtkReproError):
    """A computation would not fit in the memory it would run on."""


class IntegrityError(NtkReproError):
    """An intermediate file is truncated, incomplete or was produced from other inputs."""


class TrainingDiverged(NtkReproError):
    """The training loss became non-finite."""


class NumericalError(NtkReproError):
    """A result violates a property it must have beyond rounding (e.g. a Gram matrix that is not PSD)."""


class UnsupportedNetwork(NtkReproError):
    """A kernel engine cannot express a layer of the network (the layerwise engine, or the
    infinite-width kernels), or the layerwise engine disagrees with autograd on it; the message
    names the layer."""


class FolderInUse(NtkReproError):
    """Another job holds the resume folder a job would use."""

