"""The kinds of kernel a ``{kernel}`` wildcard names, each the engine's kind and output mode
(``ntkrepro.ntk.kernel(model, x, kind=..., outputs=...)``): the one table the rules, the plan and the
scripts read; and the one translation of the kernel settings into the engine's arguments. The
``infinite-`` kinds are the closed-form kernels of the state's model in the infinite-width limit
(``ntkrepro.infinite.of_model``; an NTK-parameterized architecture), stored in the same format; they
depend on the architecture alone, not on the state's parameters."""

from __future__ import annotations

from collections.abc import Mapping

import torch

KINDS = {
    "ntk": ("ntk", "scalar"),
    "ntk-full": ("ntk", "full"),
    "ntk-trace": ("ntk", "trace"),
    "conjugate": ("conjugate", "scalar"),
    "output": ("output", "scalar"),
    "infinite-ntk": ("infinite-ntk", "scalar"),
    "infinite-nngp": ("infinite-nngp", "scalar"),
}
INFINITE = {"infinite-ntk": "ntk", "infinite-nngp": "nngp"}  # kind -> ``get`` of the kernel function


def engine_options(name: str) -> dict:
    """The engine's options for the kernel kind ``name``: {"kind": ..., "outputs": ...}."""
    kind, outputs = KINDS[name]
    return {"kind": kind, "outputs": outputs}


def engine_arguments(settings: Mapping, kind: str, outputs: str, *, device=None, tiled: bool = True) -> dict:
    """The keyword arguments of ``ntk.kernel`` and ``ntk.write_gram`` for kernel ``settings`` (the
    configuration's ``kernel`` section, or the ``ntkrepro kernel`` command's options: ``dtype``,
    ``block_size``, ``allow_tf32``, ``memory_gb``), the engine's ``kind`` and ``outputs`` (e.g.
    :func:`engine_options` of a kind's name) and the ``device``. ``tiled=False`` leaves out the tile
    settings (``block_size``, ``memory_bytes``), for computations that take no matrix in tiles
    (``ntkrepro.invariance.feature_invariance``)."""
    arguments = {"kind": kind, "outputs": outputs, "device": device, "dtype": getattr(torch, settings["dtype"]),
                 "allow_tf32": settings["allow_tf32"]}
    if tiled:
        memory_gb = settings["memory_gb"]
        arguments |= {"block_size": settings["block_size"], "memory_bytes": int(memory_gb * 2**30) if memory_gb else None}
    return arguments
