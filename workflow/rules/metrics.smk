# Metrics computed from kernels and spectra.


rule alignment:
    input:
        spectrum="results/spectra/{dataset}/all/{model}-seed{seed}/init.h5",
        kernels=alignment_kernels,
    output:
        "results/metrics/{dataset}/{model}-seed{seed}/{task}/{kind}/alignment.csv",
    log:
        "logs/alignment/{dataset}/{model}-seed{seed}/{task}/{kind}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        mem_mb=alignment_mem_mb,
    params:
        epochs=alignment_epochs,
        compute=compute_params(),
        code=code_version("alignment.py"),
    script:
        "../scripts/alignment.py"
