"""Feature kernels of several named modules of one network state from one forward pass.

``layer_features(model, x, modules, pooling=...)`` hooks every probed module at once and returns each
one's output pooled to a feature vector per sample; ``layer_kernels`` turns them into the Gram
matrices K_ℓ = ψ_ℓ ψ_ℓᵀ (float64), with the input kernel xᵀx′ beside them; ``write_layer_kernels``
keeps them all in one HDF5 file (one dataset per kernel, named by its kind ``module:<name>`` or
``input``), which ``read_layer_kernels`` reads back by name.

Pooling of a module's output (b, c, h, w, ...) to a vector: ``none`` flattens it (the kernel of
``ntk.kernel(model, x, kind="module:<name>")``), ``mean`` / ``max`` take the mean / maximum over the
spatial axes (channel vectors, c entries). Outputs that are already vectors (b, d) stay as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn

from .engine import parameter_dtype, prepare_model
from .inputs import samples

POOLINGS = ("none", "mean", "max")
INPUT = "input"
FORMAT = "ntkrepro-layer-kernels-1"


def pool(t: torch.Tensor, pooling: str) -> torch.Tensor:
    """A module's output (b, ...) as feature vectors (b, d)."""
    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r} ({' | '.join(POOLINGS)})")
    if pooling == "none" or t.dim() <= 2:
        return t.reshape(len(t), -1)
    spatial = tuple(range(2, t.dim()))
    return t.mean(dim=spatial) if pooling == "mean" else t.amax(dim=spatial)


def _modules(model: nn.Module, names) -> dict[str, nn.Module]:
    named = dict(model.named_modules())
    missing = [n for n in names if n not in named]
    if missing:
        raise ValueError(f"the model has no module {missing[0]!r} (modules: {', '.join(n for n in named if n)})")
    if len(set(names)) != len(names):
        raise ValueError(f"probed modules named twice: {list(names)}")
    return {n: named[n] for n in names}


@torch.no_grad()
def layer_features(model: nn.Module, x, modules, *, pooling: str = "none", batch_size: int = 256
                   ) -> dict[str, torch.Tensor]:
    """Each probed module's pooled output on ``x`` (module name -> (m, d_ℓ)), from one forward pass per
    batch with the model in evaluation mode (batch norm uses its running statistics), in float64."""
    x = samples(x, "x")
    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r} ({' | '.join(POOLINGS)})")
    net = prepare_model(model, torch.device("cpu"), parameter_dtype(model))
    hooked = _modules(net, list(modules))
    seen: dict[str, list[torch.Tensor]] = {n: [] for n in hooked}
    calls: dict[str, int] = {}

    def hook_for(name):
        def hook(m, inputs, output):
            if not isinstance(output, torch.Tensor):
                raise ValueError(f"probed module {name!r} returns {type(output).__name__}, not a tensor")
            calls[name] = calls.get(name, 0) + 1
            seen[name].append(pool(output, pooling).to(torch.float64))
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in hooked.items()]
    try:
        for start in range(0, len(x), batch_size):
            calls.clear()
            net(x[start:start + batch_size].to(parameter_dtype(net)))
            twice = [n for n in hooked if calls.get(n, 0) != 1]
            if twice:
                raise ValueError(f"probed module {twice[0]!r} is called {calls.get(twice[0], 0)} times per forward "
                                 "pass; a layer kernel needs a module called once")
    finally:
        for h in handles:
            h.remove()
    return {n: torch.cat(parts) for n, parts in seen.items()}


def layer_kernels(model: nn.Module, x, modules, *, pooling: str = "none", batch_size: int = 256
                  ) -> dict[str, np.ndarray]:
    """The float64 Gram matrices of every probed module (keys ``module:<name>``) and of the input
    (key ``input``), from one pass over ``x``."""
    feats = layer_features(model, x, modules, pooling=pooling, batch_size=batch_size)
    out = {INPUT: _gram(samples(x, "x").reshape(len(x), -1).to(torch.float64))}
    out.update({f"module:{n}": _gram(f) for n, f in feats.items()})
    return out


def feature_sizes(model: nn.Module, x, modules, *, pooling: str = "none") -> dict[str, int]:
    """The feature-vector size d_ℓ of each probed module (pooled), from a pass over ``x[:1]``."""
    return {n: f.shape[1] for n, f in layer_features(model, samples(x, "x")[:1], modules, pooling=pooling).items()}


def _gram(f: torch.Tensor) -> np.ndarray:
    return (f @ f.T).numpy()


def write_layer_kernels(path: str | Path, kernels: dict[str, np.ndarray], *, meta: dict | None = None,
                        arrays: dict[str, np.ndarray] | None = None, dtype=np.float64) -> None:
    """Every kernel of ``kernels`` (name -> (m, m)) in one HDF5 file, stored as ``dtype``, with ``arrays``
    (e.g. the samples' labels) and ``meta`` (JSON-able attributes) beside them; written to a temporary
    name, then moved. Read back, every kernel is float64."""
    path = Path(path)
    sizes = {k.shape for k in kernels.values()}
    if len(sizes) != 1 or any(len(s) != 2 or s[0] != s[1] for s in sizes):
        raise ValueError(f"layer kernels must be square and of one size; got shapes {sorted(sizes)}")
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(tmp, "w") as h5:
        h5.attrs["format"] = FORMAT
        h5.attrs["meta"] = json.dumps(meta or {}, sort_keys=True)
        h5.attrs["kinds"] = json.dumps(list(kernels))
        group = h5.create_group("kernels")
        for i, (name, k) in enumerate(kernels.items()):
            ds = group.create_dataset(str(i), data=np.asarray(k, dtype=dtype))
            ds.attrs["kind"] = name
        for name, a in (arrays or {}).items():
            h5.create_dataset(f"arrays/{name}", data=a)
    tmp.replace(path)


def _open(path) -> h5py.File:
    h5 = h5py.File(path, "r")
    if h5.attrs.get("format") != FORMAT:
        h5.close()
        raise ValueError(f"{path}: not a layer-kernel file (format {FORMAT!r})")
    return h5


def layer_kinds(path: str | Path) -> list[str]:
    """The kernels a layer-kernel file holds, in the order written (``input``, then the modules)."""
    with _open(path) as h5:
        return json.loads(h5.attrs["kinds"])


def read_layer_kernels(path: str | Path, kind: str) -> np.ndarray:
    """One kernel of a layer-kernel file, by its kind (``module:<name>`` or ``input``)."""
    with _open(path) as h5:
        kinds = json.loads(h5.attrs["kinds"])
        if kind not in kinds:
            raise KeyError(f"{path} holds no kernel {kind!r} (it holds: {', '.join(kinds)})")
        return h5["kernels"][str(kinds.index(kind))][()].astype(np.float64)


def read_layer_arrays(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the metadata stored beside a file's kernels."""
    with _open(path) as h5:
        arrays = {k: v[()] for k, v in h5["arrays"].items()} if "arrays" in h5 else {}
        return arrays, json.loads(h5.attrs["meta"])
