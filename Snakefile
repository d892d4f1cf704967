# Regenerates the figures of five papers on the empirical neural tangent kernel, each with its data
# and a claims scorecard. `snakemake --cores N` builds every enabled paper; `snakemake --cores N
# ortiz2021` one paper; `snakemake figures/fig7.pdf` one figure. README.md explains the DAG.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/tasks.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/kernels.smk"
include: "workflow/rules/spectra.smk"
include: "workflow/rules/metrics.smk"
include: "workflow/rules/fits.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        all_targets(),
