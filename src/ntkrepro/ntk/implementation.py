"""Which parameters a kernel covers, and which implementation computes their Jacobian features.

``implementation``:

* ``"layerwise"`` (strict): the hook path of :mod:`.layerwise`, checked layer by layer against
  autograd on a probe of two samples; a layer it cannot express, or one whose features disagree
  with autograd, raises :class:`~ntkrepro.errors.UnsupportedNetwork` naming the layer.
* ``"auto"``: the same, but in those cases it falls back to torch.func, with a WARNING log line
  that names the layer and the expected slowdown.
* ``"torch.func"``: materialized per-sample Jacobians of all parameters (any network whose samples
  are independent).
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from ..errors import UnsupportedNetwork
from .features import contract_paired
from .functional import FuncJacobian
from .layerwise import LayerwiseJacobian, Unsupported, parameter_layers
from .rules import trainable

log = logging.getLogger(__name__)

IMPLEMENTATIONS = ("auto", "layerwise", "torch.func")
# Relative disagreement with autograd (per layer, on the probe) that counts as a wrong layer rule
PROBE_TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-4}


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def as_names(names, argument: str) -> list[str] | None:
    """Module- or parameter-name prefixes as a list (None stays None): one string is one name, as
    ``"classifier.4"``, never its characters."""
    if names is None:
        return None
    listed = [names] if isinstance(names, str) else list(names)
    if not all(isinstance(name, str) for name in listed):
        raise TypeError(f"{argument}= takes module or parameter names (a string or a list of strings), not {names!r}")
    return listed


def restrict(model: nn.Module, prefixes: list[str] | None) -> None:
    """Freeze (in the engine's own copy) every trainable parameter whose name none of ``prefixes``
    (module or parameter names, e.g. ``"classifier.4"``) starts."""
    if prefixes is None:
        return
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    for prefix in prefixes:
        if not any(_matches(n, prefix) for n in names):
            layers = ", ".join(name for name, _ in parameter_layers(model))
            raise ValueError(f"no trainable parameter of the model is named by {prefix!r} (layers: {layers})")
    for n, p in model.named_parameters():
        if not any(_matches(n, prefix) for prefix in prefixes):
            p.requires_grad_(False)


def parameter_groups(model: nn.Module, prefixes: list[str]) -> dict[str, int]:
    """The group (index into ``prefixes``) of each trainable parameter name; each parameter must be
    named by exactly one prefix, and all parameters of one layer must fall into one group."""
    group = {}
    for n, p in model.named_parameters():
        if p.requires_grad:
            hits = [i for i, prefix in enumerate(prefixes) if _matches(n, prefix)]
            if len(hits) > 1:
                raise ValueError(f"parameter {n!r} is in several groups: {', '.join(prefixes[i] for i in hits)}")
            group[n] = hits[0]
    for name, m in parameter_layers(model):
        owned = {group[f"{name}.{k}" if name != "(root)" else k] for k, p in m.named_parameters(recurse=False) if p.requires_grad}
        if len(owned) > 1:
            raise ValueError(f"the parameters of layer {name!r} are split between groups; name whole layers")
    return group


def _module_groups(model: nn.Module, param_group: dict[str, int]) -> dict[nn.Module, int]:
    prefix_of = {m: name for name, m in parameter_layers(model)}
    out = {}
    for m, name in prefix_of.items():
        first = next(k for k, p in m.named_parameters(recurse=False) if p.requires_grad)
        out[m] = param_group[first if name == "(root)" else f"{name}.{first}"]
    return out


def jacobian_features(model: nn.Module, probe: torch.Tensor, mode: str, implementation: str,
                      param_group: dict[str, int] | None = None, n_groups: int = 1, materialize: bool = False):
    """The Jacobian feature extractor for ``model`` (already the engine's eval-mode copy);
    ``materialize`` keeps every layer's per-sample gradients (no structured forms)."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"unknown implementation {implementation!r} ({' | '.join(IMPLEMENTATIONS)})")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("the model has no trainable parameters to take the kernel of")
    if implementation == "torch.func":
        return FuncJacobian(model, param_group, n_groups)
    module_group = _module_groups(model, param_group) if param_group is not None else None
    layerwise = LayerwiseJacobian(model, mode, module_group, n_groups, materialize)
    try:
        layerwise(probe)
        failure = check_against_autograd(layerwise, probe)
    except Unsupported as e:
        failure = e
    if failure is None:
        return layerwise
    if implementation == "layerwise":
        raise UnsupportedNetwork(
            f"the layerwise kernel engine cannot be used: {failure}; implementation='auto' falls back to "
            "torch.func (slower)"
        )
    log.warning(f"kernel engine: {failure}; falling back to torch.func per-sample Jacobians, {_slowdown(layerwise, probe)} "
                "(implementation='layerwise' makes this an error)")
    return FuncJacobian(model, param_group, n_groups)


def _slowdown(layerwise: LayerwiseJacobian, probe: torch.Tensor) -> str:
    fresh = LayerwiseJacobian(layerwise.model, layerwise.mode)
    try:
        ours, everything = fresh.estimate(probe)
    except Unsupported:
        return "expected to be much slower (it materializes the gradients of all parameters)"
    return (f"expected about {everything / ours:.0f}x slower at large sample counts "
            f"({everything:.3g} instead of {ours:.3g} FLOPs per kernel entry)")


def check_against_autograd(layerwise: LayerwiseJacobian, probe: torch.Tensor) -> Unsupported | None:
    """The first layer whose layerwise features disagree with autograd's per-sample gradients on
    ``probe``, as an :class:`Unsupported`; None when all agree.

    Compared per layer and sample: vᵀ Θ_l(x, x) v for v = each output's unit vector and one random
    mix of the outputs (which covers the cross-output terms), against ‖Σ_c v_c ∇θ_l f_c(x)‖² from
    plain autograd, without storing any gradient."""
    layers = [m for _, m in layerwise.layers]
    per_layer = layerwise.regrouped({m: i for i, m in enumerate(layers)}, len(layers))
    features = per_layer(probe)
    ours = torch.stack(contract_paired(features, features, "full"))  # (layers, b, C, C)
    mixes = _output_mixes(ours.shape[-1], probe)
    mine = torch.einsum("vc,lbcd,vd->lbv", mixes, ours, mixes)
    direct = _autograd_layer_norms(layerwise.model, layers, probe, mixes)  # (layers, b, v)
    # |vᵀ Θ v| <= (Σ_c |v_c| √Θ_cc)²: the scale of each entry's rounding error
    root = ours.diagonal(dim1=2, dim2=3).clamp(min=0).sqrt()
    scale = torch.einsum("vc,lbc->lbv", mixes.abs(), root) ** 2
    bound = scale + 1e-3 * scale.max()
    err = ((mine - direct).abs() / bound).amax(dim=(1, 2))
    tol = PROBE_TOLERANCE.get(probe.dtype, 1e-3)
    for (name, m), e in zip(layerwise.layers, err.tolist()):
        if not e <= tol:
            return Unsupported(name, m, f"its layerwise Jacobian features disagree with autograd on a probe "
                                        f"(relative error {e:.1e}; a layer rule does not fit how the layer is used)")
    return None


def _output_mixes(n_out: int, probe: torch.Tensor) -> torch.Tensor:
    """Unit vectors of the outputs and, for C > 1, one fixed random mix of them: (V, C)."""
    eye = torch.eye(n_out, dtype=probe.dtype, device=probe.device)
    if n_out == 1:
        return eye
    mix = torch.randn(1, n_out, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return torch.cat([eye, mix.to(probe.device, probe.dtype)])


def _autograd_layer_norms(model: nn.Module, layers: list[nn.Module], probe: torch.Tensor,
                          mixes: torch.Tensor) -> torch.Tensor:
    """‖Σ_c v_c ∇θ_l f_c(x)‖² per layer l, sample x and mix v, from plain autograd: (layers, b, V)."""
    params = [trainable(m) for m in layers]
    flat = [p for ps in params for p in ps]
    out = probe.new_zeros(len(layers), len(probe), len(mixes))
    with torch.enable_grad():
        for i, x in enumerate(probe):
            y = model(x.unsqueeze(0)).reshape(-1)
            for v, mix in enumerate(mixes):
                grads = torch.autograd.grad(y @ mix, flat, retain_graph=v + 1 < len(mixes), allow_unused=True)
                col = 0
                for li, ps in enumerate(params):
                    out[li, i, v] = sum(float((g * g).sum()) for g in grads[col : col + len(ps)] if g is not None)
                    col += len(ps)
    return out
