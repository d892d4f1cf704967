# Metrics computed from kernels and spectra: alignment of eigenfunctions with Θ_t.


rule alignment:
    input:
        spectrum="results/spectra/{dataset}/all/{arch}-seed{seed}/init.h5",
        kernels=alignment_kernels,
    output:
        "results/metrics/{dataset}/{arch}-seed{seed}/{task}/{kind}/alignment.csv",
    log:
        "logs/alignment/{dataset}/{arch}-seed{seed}/{task}/{kind}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    params:
        epochs=alignment_epochs,
        compute=compute_params(),
        code=code_version("spectra"),
    script:
        "../scripts/alignment.py"
