# Top-K eigenpairs of every Gram matrix that needs them.


rule eigendecompose:
    input:
        "results/kernels/{kernel}.h5",
    output:
        "results/spectra/{kernel}.h5",
    log:
        "logs/eigendecompose/{kernel}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        gpu=1,
    params:
        spectrum=spectrum_params(),
        compute=compute_params(),
        code=code_version("spectra"),
    script:
        "../scripts/eigendecompose.py"
