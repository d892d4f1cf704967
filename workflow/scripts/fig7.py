"""Figure 7: alignment of the NTK eigenfunctions at initialization before and after training."""

import numpy as np

from ntkrepro import io, plotting
from ntkrepro.workflow import run


def main(snakemake, log):
    a = io.read_csv(snakemake.input.alignment)
    alpha = sorted((c for c in a if c.startswith("alpha_epoch")), key=lambda c: int(c.removeprefix("alpha_epoch")))
    table = {
        "index": a["index"].astype(int),
        "alpha_init": a[alpha[0]],
        "alpha_trained": a[alpha[-1]],
        "is_target": (a["index"] == snakemake.params.target).astype(int),
    }
    io.write_csv(table, snakemake.output.csv)
    plotting.save(plotting.fig7(io.read_csv(snakemake.output.csv), snakemake.params.title), snakemake.output.pdf, snakemake.params.dpi)
    growth = table["alpha_trained"] / table["alpha_init"]
    log.info(f"α growth: target {growth[table['is_target'] == 1][0]:.3g}, largest other {np.max(growth[table['is_target'] == 0]):.3g}")


run(snakemake, main)
