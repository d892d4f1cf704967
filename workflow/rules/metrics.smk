# Metrics computed from kernels and spectra.


rule alignment:
    input:
        spectrum=paths.spectrum(paths.KERNEL_INIT),
        kernel="results/kernels/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}.h5",
    output:
        "results/alignment/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}.csv",
    log:
        "logs/alignment/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}.log",
    wildcard_constraints:
        state=r"init|[^/]+/[^/]+/[^/]+/epoch[^/]+",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        mem_mb=lambda w: resources.alignment_mb(
            PLAN.sample_count(w.dataset, w.samples, w.split), config["spectrum"]["k"]
        ),
    params:
        compute=compute_params(),
        code=code_version("alignment.py"),
    script:
        "../scripts/alignment.py"
