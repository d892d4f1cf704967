"""Why Figure 5's absolute non-linear advantage can shrink with n on an easy task: the network's
headroom (paper 000 at laptop scale).

Figure 5's claim compares gap(n) = acc(network) - acc(linearized) at the smallest and largest
training-set size. When the network approaches 100% accuracy, the gap is capped by the
linearization's error, and both shrink together. This reads built `fig5.csv` tables and prints, per
model and size, the mean accuracies, the absolute gap, and the share of the linearization's errors that
the network avoids, 1 - err(network)/err(linearized), which the ceiling does not cap.

    python benchmarks/ortiz2021_fig5_headroom.py figures/fig5.csv [other/figures/fig5.csv ...]
"""

from __future__ import annotations

import argparse

import numpy as np

from ntkrepro import io


def rows(table) -> list[tuple]:
    out = []
    for model in dict.fromkeys(table["model"]):
        for n in np.unique(table["size"][table["model"] == model]):
            at = (table["model"] == model) & (table["size"] == n)
            net = float(np.mean(table["test_accuracy"][at & (table["kind"] == "network")]))
            lin = float(np.mean(table["test_accuracy"][at & (table["kind"] == "linearized")]))
            out.append((model, int(n), net, lin, net - lin, 1 - (1 - net) / (1 - lin)))
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("tables", nargs="+", help="fig5.csv files of built workflows")
    args = p.parse_args(argv)
    for path in args.tables:
        print(f"\n{path}\n")
        print("| model | n | accuracy, network | accuracy, linearized | gap | errors avoided |")
        print("|---|---|---|---|---|---|")
        for model, n, net, lin, gap, avoided in rows(io.read_csv(path)):
            print(f"| {model} | {n} | {net:.3f} | {lin:.3f} | {gap:+.3f} | {avoided:.2f} |")


if __name__ == "__main__":
    main()
