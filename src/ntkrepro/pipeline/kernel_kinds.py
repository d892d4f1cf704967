"""The kinds of kernel a ``{kernel}`` wildcard names, each the engine's kind and output mode
(``ntkrepro.ntk.kernel(model, x, kind=..., outputs=...)``): the one table the rules, the plan and the
scripts read."""

from __future__ import annotations

KINDS = {
    "ntk": ("ntk", "scalar"),
    "ntk-full": ("ntk", "full"),
    "ntk-trace": ("ntk", "trace"),
    "conjugate": ("conjugate", "scalar"),
    "output": ("output", "scalar"),
}


def engine_options(name: str) -> dict:
    """The engine's options for the kernel kind ``name``: {"kind": ..., "outputs": ...}."""
    kind, outputs = KINDS[name]
    return {"kind": kind, "outputs": outputs}
