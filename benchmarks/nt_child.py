"""Times neural-tangents' empirical NTK on the benchmark networks; runs inside its own venv.

Reads the inputs and the PyTorch parameters the driver saved (so the kernels are comparable),
builds the same network with neural_tangents.stax, jit-compiles ``empirical_ntk_fn`` (compile time
excluded) and prints one JSON line: seconds, peak memory and the relative error of the leading block
against the float64 reference.
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


def network(name, width):
    if name == "mlp":
        return stax.serial(stax.Flatten(), dense(100), stax.Relu(), dense(100), stax.Relu(), dense(1))
    if name == "lenet":
        return stax.serial(
            conv(6, 5), stax.Relu(), stax.AvgPool((2, 2), (2, 2)),
            conv(16, 5), stax.Relu(), stax.AvgPool((2, 2), (2, 2)),
            stax.Flatten(), dense(120), stax.Relu(), dense(84), stax.Relu(), dense(1),
        )
    # ResNet18 without BatchNorm (stax has none): the same convolutions, so the same cost
    def block(c, stride, project):
        main = stax.serial(conv(c, 3, stride, False), stax.Relu(), conv(c, 3, 1, False))
        short = conv(c, 1, stride, False) if project else stax.Identity()
        return stax.serial(stax.FanOut(2), stax.parallel(main, short), stax.FanInSum(), stax.Relu())

    layers, c_in = [conv(width, 3, 1, False), stax.Relu()], width
    for stage, c in enumerate([width, 2 * width, 4 * width, 8 * width]):
        for i in range(2):
            stride = 2 if stage > 0 and i == 0 else 1
            layers.append(block(c, stride, stride != 1 or c != c_in))
            c_in = c
    layers += [stax.GlobalAvgPool(), dense(1)]
    return stax.serial(*layers)


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--net", required=True)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--implementation", choices=IMPLEMENTATIONS, required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--params", default=None)
    p.add_argument("--reference", default=None)
    a = p.parse_args()

    x = np.load(a.inputs)  # NCHW as in PyTorch
    x = jnp.asarray(np.transpose(x, (0, 2, 3, 1)))
    init_fn, apply_fn, _ = network(a.net, a.width)
    _, params = init_fn(jax.random.PRNGKey(0), x[:1].shape)
    comparable = a.params is not None
    if comparable:
        saved = np.load(a.params)
        params = load_parameters(params, [saved[f"p{i}"] for i in range(len(saved.files))])
    ntk_fn = jax.jit(nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0, implementation=IMPLEMENTATIONS[a.implementation]))
    compiled = ntk_fn.lower(x, None, params).compile()
    t0 = time.perf_counter()
    K = compiled(x, None, params).block_until_ready()
    seconds = time.perf_counter() - t0
    K = np.asarray(K).reshape(len(x), len(x))
    error = None
    if comparable and a.reference:
        ref = np.load(a.reference)
        r = min(len(ref), len(K))
        error = float(np.linalg.norm(K[:r, :r] - ref) / np.linalg.norm(ref))
    peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "peak_bytes": peak, "error": error}))


if __name__ == "__main__":
    main()
