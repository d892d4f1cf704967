# Spectral decompositions: top-K eigenpairs of Gram matrices, and the neural anisotropy
# directions (singular vectors of the mixed derivatives E_x ∇²_{x,θ} f at θ0).


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
        mem_mb=eigendecompose_mem_mb,
        gpu=GPU,
    params:
        spectrum=spectrum_params(),
        compute=compute_params(),
        code=code_version("eigendecompose.py"),
    script:
        "../scripts/eigendecompose.py"


if "fig4" in config:

    rule nads:
        input:
            model="results/init/{dataset}/{model}-seed{seed}.pt",
        output:
            "results/nads/{dataset}/{model}-seed{seed}.h5",
        log:
            "logs/nads/{dataset}/{model}-seed{seed}.log",
        conda:
            "../../envs/ntkrepro.yaml"
        threads: THREADS
        resources:
            gpu=GPU,
        params:
            samples=config["fig4"]["samples"],
            input_shape=lambda w: input_shape(w.dataset),
            seed=lambda w: int(w.seed),
            compute=compute_params(),
            code=code_version("nads.py"),
        script:
            "../scripts/nads.py"
