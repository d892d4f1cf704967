"""neural-tangents' infinite-width kernels of the networks of infinite_vs_nt.py; runs inside its own venv.

Reads the inputs the driver saved (NCHW images or vectors), builds the same network with
neural_tangents.stax (NTK parameterization, the default), jit-compiles ``kernel_fn`` and runs it twice
in float64; writes the NNGP and NTK to an .npz and prints one JSON line of seconds.
"""

import argparse
import json
import time

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from neural_tangents import stax  # noqa: E402

WIDTH = 512  # irrelevant to the kernels; stax needs one


def network(name: str, w_std: float, b_std: float, readout_std: float):
    if name == "mlp-relu":
        hidden = [stax.Dense(WIDTH, W_std=w_std, b_std=b_std), stax.Relu()]
        return stax.serial(*hidden * 2, stax.Dense(1, W_std=readout_std, b_std=b_std))
    if name == "mlp-erf":
        hidden = [stax.Dense(WIDTH, W_std=w_std, b_std=b_std), stax.Erf()]
        return stax.serial(*hidden * 2, stax.Dense(1, W_std=readout_std, b_std=b_std))
    hidden = [stax.Conv(WIDTH, (3, 3), padding="SAME", W_std=w_std, b_std=b_std), stax.Relu()]
    return stax.serial(*hidden * 2, stax.Flatten(), stax.Dense(1, W_std=readout_std, b_std=b_std))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--net", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--w-std", type=float, required=True)
    p.add_argument("--b-std", type=float, required=True)
    p.add_argument("--readout-std", type=float, required=True)
    a = p.parse_args()
    x = np.load(a.inputs)["x"].astype(np.float64)
    if x.ndim == 4:
        x = x.transpose(0, 2, 3, 1)  # NCHW -> NHWC
    _, _, kernel_fn = network(a.net, a.w_std, a.b_std, a.readout_std)
    kernel_fn = jax.jit(kernel_fn, static_argnames="get")
    t0 = time.perf_counter()
    k = kernel_fn(x, None, get=("nngp", "ntk"))
    jax.block_until_ready(k)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    k = kernel_fn(x, None, get=("nngp", "ntk"))
    jax.block_until_ready(k)
    second = time.perf_counter() - t0
    np.savez(a.out, nngp=np.asarray(k.nngp), ntk=np.asarray(k.ntk))
    print(json.dumps({"seconds_with_compile": first, "seconds": second}))


if __name__ == "__main__":
    main()
