"""Feature maps φ(x) whose Gram matrices K(x, x') = φ(x)·φ(x') are the feature kernels.

* ``"input"``: the input itself, flattened (the input kernel xᵀx′; applied to one-hot targets it
  is the target kernel).
* ``"output"``: the network output f(x), flattened (K = Σ_c f_c(x) f_c(x′)).
* ``"nngp"``: f(x) / √C, so that K is the mean over the C output entries, (1/C) Σ_c f_c(x) f_c(x′):
  neural-tangents' ``empirical_nngp_fn`` with its default ``trace_axes=(-1,)``.
* ``"conjugate"``: the input of the last ``nn.Linear`` the forward pass calls, flattened (the
  conjugate kernel of the last hidden layer).
* ``"module:<name>"``: the output of the named module, flattened.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .features import Features


class FeatureMap:
    """Features (b, 1, d) of a batch: the flattened feature vectors."""

    def __init__(self, model: nn.Module | None, kind: str):
        self.model, self.kind = model, kind
        self.name = kind
        if kind == "input":
            return
        if model is None:
            raise ValueError(f"the {kind!r} kernel needs a model")
        if kind.startswith("module:"):
            name = kind.split(":", 1)[1]
            modules = dict(model.named_modules())
            if name not in modules:
                raise ValueError(f"the model has no module {name!r} (modules: {', '.join(n for n in modules if n)})")
            self.module, self.take = modules[name], "output"
        elif kind == "conjugate":
            self.module, self.take = None, "input"  # found on the first batch
        elif kind not in ("output", "nngp"):
            raise ValueError(f"unknown kernel kind {kind!r} (ntk | input | output | nngp | conjugate | module:<name>)")

    def _last_linear(self, x: torch.Tensor) -> nn.Module:
        called = []
        handles = [m.register_forward_hook(lambda m, i, o: called.append(m))
                   for m in self.model.modules() if isinstance(m, nn.Linear)]
        try:
            self.model(x)
        finally:
            for h in handles:
                h.remove()
        if not called:
            raise ValueError("the conjugate kernel needs a network with an nn.Linear layer; it calls none")
        return called[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """φ(x): (b, d)."""
        if self.kind == "input":
            return x.reshape(len(x), -1)
        if self.kind == "output":
            return self.model(x).reshape(len(x), -1)
        if self.kind == "nngp":
            f = self.model(x).reshape(len(x), -1)
            return f / f.shape[1] ** 0.5
        if self.module is None:
            self.module = self._last_linear(x)
        seen = []

        def hook(m, inputs, output):
            seen.append(inputs[0] if self.take == "input" else output)

        handle = self.module.register_forward_hook(hook)
        try:
            self.model(x)
        finally:
            handle.remove()
        if len(seen) != 1 or not isinstance(seen[0], torch.Tensor):
            raise ValueError(f"the {self.kind!r} kernel needs a module called once per forward pass, returning a tensor")
        return seen[0].reshape(len(x), -1)

    def __call__(self, x: torch.Tensor, out: Features | None = None) -> Features:
        with torch.no_grad():
            phi = self.features(x).unsqueeze(1)
        if out is None:
            return Features([phi.clone() if self.kind == "input" else phi], [], (0,), (), 1)
        out.dense[0].copy_(phi)
        return out

    def clone(self) -> "FeatureMap":
        """An independent copy (own model), for another worker thread."""
        return copy.deepcopy(self)

    def describe(self) -> str:
        return f"feature map '{self.kind}'"
