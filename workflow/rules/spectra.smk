# Spectral decompositions: top-K eigenpairs of kernels, and the neural anisotropy directions
# (singular vectors of the mixed derivatives E_x ∇²_{x,θ} f at θ0).


rule eigendecompose:
    input:
        paths.KERNEL,
    output:
        paths.SPECTRUM,
    log:
        paths.log("eigendecompose"),
    cache: CACHE
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.eigendecompose
    resources:
        mem_mb=lambda w: resources.eigendecompose_mb(
            PLAN.sample_count(w.dataset, w.samples, w.split), config["spectrum"]["k"]
        ),
        gpu=GPU,
    params:
        spectrum=canonical(config["spectrum"]),
        compute=JOBS.params(JOBS.eigendecompose),
        code=code_version("eigendecompose.py"),
    script:
        "../scripts/eigendecompose.py"


rule nads:
    input:
        model=paths.INIT,
    output:
        paths.NADS,
    log:
        "logs/nads/{dataset}/{model}-seed{seed}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.nads
    resources:
        gpu=GPU,
    params:
        samples=lambda w: PLAN.dataset_spec(w.dataset)["samples"],
        input_shape=lambda w: list(PLAN.input_shape(w.dataset)),
        seed=lambda w: int(w.seed),
        compute=JOBS.params(JOBS.nads),
        code=code_version("nads.py"),
    script:
        "../scripts/nads.py"
