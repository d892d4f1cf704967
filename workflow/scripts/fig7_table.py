"""Figure 7: α_0(φ_j) and α_T(φ_j) of every eigenfunction, the trained one marked."""

from ntkrepro import io, tables
from ntkrepro.workflow import run


def main(snakemake, log):
    table = tables.alignment_table(io.read_csv(snakemake.input.alignment), snakemake.params.target)
    io.write_csv(table, snakemake.output[0])
    growth = table["alpha_trained"] / table["alpha_init"]
    target = table["is_target"] == 1
    log.info(f"α growth: target {growth[target][0]:.3g}, largest other {growth[~target].max():.3g}")


run(snakemake, main)
