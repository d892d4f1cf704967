"""Times neural-tangents' empirical kernels on the benchmark networks; runs inside its own venv.

Reads the inputs and the PyTorch parameters the driver saved (so the kernels are comparable),
builds the same network with neural_tangents.stax, jit-compiles the kernel function (compile time
excluded) and prints one JSON line: seconds, peak memory and the relative error of the leading block
against the float64 reference.

Kernels: "scalar" and "full" (``empirical_ntk_fn(trace_axes=())``: (m, m) or (m, m, C, C)), "trace"
(``trace_axes=(-1,)``, the mean over outputs), "per-layer" (one ``empirical_ntk_fn`` per layer with
parameters, differentiating that layer's parameters alone; the times are added) and "conjugate"
(``empirical_nngp_fn`` of the network without its last layer, ``trace_axes=(-1,)``, times the width).
"""

import argparse
import json
import time

import jax
import jax.numpy as jnp
import neural_tangents as nt
import numpy as np
from neural_tangents import stax

IMPLEMENTATIONS = {
    "structured": nt.NtkImplementation.STRUCTURED_DERIVATIVES,
    "jacobian": nt.NtkImplementation.JACOBIAN_CONTRACTION,
}


def dense(n):
    return stax.Dense(n, b_std=1.0, parameterization="standard")


def conv(n, k, stride=1, bias=True):
    return stax.Conv(n, (k, k), strides=(stride, stride), padding="SAME", parameterization="standard",
                     b_std=None if not bias else 1.0)


def layers(name, width, outputs=1):
    """The stax layers of network ``name`` (a list, so that the last can be left out)."""
    if name == "mlp":
        return [stax.Flatten(), dense(100), stax.Relu(), dense(100), stax.Relu(), dense(outputs)]
    if name == "lenet":
        return [
            conv(6, 5), stax.Relu(), stax.AvgPool((2, 2), (2, 2)),
            conv(16, 5), stax.Relu(), stax.AvgPool((2, 2), (2, 2)),
            stax.Flatten(), dense(120), stax.Relu(), dense(84), stax.Relu(), dense(outputs),
        ]
    # ResNet18 without BatchNorm (stax has none): the same convolutions, so the same cost
    def block(c, stride, project):
        main = stax.serial(conv(c, 3, stride, False), stax.Relu(), conv(c, 3, 1, False))
        short = conv(c, 1, stride, False) if project else stax.Identity()
        return stax.serial(stax.FanOut(2), stax.parallel(main, short), stax.FanInSum(), stax.Relu())

    body, c_in = [conv(width, 3, 1, False), stax.Relu()], width
    for stage, c in enumerate([width, 2 * width, 4 * width, 8 * width]):
        for i in range(2):
            stride = 2 if stage > 0 and i == 0 else 1
            body.append(block(c, stride, stride != 1 or c != c_in))
            c_in = c
    return body + [stax.GlobalAvgPool(), dense(outputs)]


def load_parameters(params, arrays):
    """Put the driver's parameters (already in stax layout, in stax order) into stax's pytree."""
    flat, treedef = jax.tree_util.tree_flatten(params)
    if len(flat) != len(arrays):
        raise ValueError(f"{len(arrays)} arrays for {len(flat)} parameters")
    out = []
    for leaf, t in zip(flat, arrays):
        if t.size != leaf.size or (t.ndim == leaf.ndim and t.shape != leaf.shape):
            raise ValueError(f"parameter shape mismatch {t.shape} vs {leaf.shape}")
        out.append(jnp.asarray(t.reshape(leaf.shape)))  # conv biases are (1, 1, 1, C) in stax
    return jax.tree_util.tree_unflatten(treedef, out)


def timed(fn, *args):
    """Seconds of one call of the jit-compiled ``fn`` (compilation excluded), and its result."""
    compiled = jax.jit(fn).lower(*args).compile()
    t0 = time.perf_counter()
    out = compiled(*args).block_until_ready()
    return time.perf_counter() - t0, np.asarray(out)


def kernel(kind, name, width, outputs, implementation, x, params):
    """(seconds, kernel) of ``kind`` on inputs ``x`` with the stax parameters ``params``."""
    net = layers(name, width, outputs)
    _, apply_fn, _ = stax.serial(*net)
    if kind == "conjugate":
        _, hidden_fn, _ = stax.serial(*net[:-1])
        nngp = nt.empirical_nngp_fn(hidden_fn, trace_axes=(-1,))
        seconds, K = timed(lambda x, p: nngp(x, None, p), x, params[:-1])
        return seconds, K * net_width(hidden_fn, x, params[:-1])
    impl = IMPLEMENTATIONS[implementation]
    if kind != "per-layer":
        ntk = nt.empirical_ntk_fn(apply_fn, trace_axes=(-1,) if kind == "trace" else (), vmap_axes=0, implementation=impl)
        seconds, K = timed(lambda x, p: ntk(x, None, p), x, params)
        return seconds, K.reshape(len(x), len(x), *K.shape[2:]) if kind == "full" else K.reshape(len(x), len(x))
    total, out = 0.0, []
    for i, layer_params in enumerate(params):
        if not jax.tree_util.tree_leaves(layer_params):
            continue

        def with_layer(p, x, i=i):  # the network as a function of layer i's parameters alone
            return apply_fn(params[:i] + [p] + params[i + 1 :], x)

        ntk = nt.empirical_ntk_fn(with_layer, trace_axes=(), vmap_axes=0, implementation=impl)
        seconds, K = timed(lambda x, p: ntk(x, None, p), x, layer_params)
        total += seconds
        out.append(K.reshape(len(x), len(x)))
    return total, np.stack(out)


def net_width(fn, x, params):
    return int(np.prod(fn(params, x[:1]).shape[1:]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--net", required=True)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--kernel", default="scalar", choices=["scalar", "full", "trace", "per-layer", "conjugate"])
    p.add_argument("--outputs", type=int, default=1)
    p.add_argument("--implementation", choices=[*IMPLEMENTATIONS, "nngp"], required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--params", default=None)
    p.add_argument("--reference", default=None)
    a = p.parse_args()

    x = np.load(a.inputs)  # NCHW as in PyTorch
    x = jnp.asarray(np.transpose(x, (0, 2, 3, 1)))
    init_fn, _, _ = stax.serial(*layers(a.net, a.width, a.outputs))
    _, params = init_fn(jax.random.PRNGKey(0), x[:1].shape)
    comparable = a.params is not None
    if comparable:
        saved = np.load(a.params)
        params = load_parameters(params, [saved[f"p{i}"] for i in range(len(saved.files))])
    seconds, K = kernel(a.kernel, a.net, a.width, a.outputs, a.implementation, x, list(params))
    error = None
    if comparable and a.reference:
        ref = np.load(a.reference)
        r = ref.shape[-1] if ref.ndim == 3 else ref.shape[0]
        block = K[..., :r, :r] if ref.ndim == 3 else K[:r, :r]
        error = float(np.linalg.norm(block - ref) / np.linalg.norm(ref))
    peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "peak_bytes": peak, "error": error}))


if __name__ == "__main__":
    main()
