# Regenerates the figures of "What can linearized neural networks actually say about
# generalization?" (Ortiz-Jiménez et al., NeurIPS 2021) and the claims scorecard.
# `snakemake --cores N` builds every configured figure; README.md explains the DAG.
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
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        FIGURES,
        CLAIMS,
