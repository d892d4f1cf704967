"""The kinds of kernel a ``{kernel}`` wildcard names, each the engine's kind and output mode
(``ntkrepro.ntk.kernel(model, x, kind=..., outputs=...)``): the one table the rules, the plan and the
scripts read. The ``infinite-`` kinds are the closed-form kernels of the state's model in the
infinite-width limit (``ntkrepro.infinite.of_model``; an NTK-parameterized architecture), stored in
the same format; they depend on the architecture alone, not on the state's parameters."""

from __future__ import annotations

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
