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
    threads: JOBS.alignment
    resources:
        mem_mb=lambda w: resources.alignment_mb(
            PLAN.sample_count(w.dataset, w.samples, w.split), config["spectrum"]["k"]
        ),
    params:
        compute=JOBS.params(JOBS.alignment),
        code=code_version("alignment.py"),
    script:
        "../scripts/alignment.py"


rule eigenvalues:
    input:
        "results/kernels/{path}.h5",
    output:
        "results/eigenvalues/{path}.csv",
    log:
        "logs/eigenvalues/{path}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.eigenvalues
    resources:
        mem_mb=lambda w: resources.eigendecompose_mb(PLAN.kernel_samples(w.path), 0),
    params:
        compute=JOBS.params(JOBS.eigenvalues),
        code=code_version("eigenvalues.py"),
    script:
        "../scripts/eigenvalues.py"


rule kernel_alignment:
    input:
        kernel="results/kernels/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}.h5",
        other="results/kernels/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{other}.h5",
    output:
        "results/kernel_alignment/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}~{other}.csv",
    log:
        "logs/kernel_alignment/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}~{other}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        code=code_version("kernel_alignment.py"),
    script:
        "../scripts/kernel_alignment.py"


rule invariance:
    input:
        unpack(state_files),
        samples=samples_task_file,
        data=paths.DATA,
    output:
        "results/invariance/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}.csv",
    log:
        "logs/invariance/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.invariance
    resources:
        gpu=GPU,
    params:
        invariance=canonical(config["invariance"]),
        kernel=kernel_kind,
        kernel_settings=canonical(config["kernel"]),
        model=state_model,
        compute=JOBS.params(JOBS.invariance),
        code=code_version("invariance.py"),
    script:
        "../scripts/invariance.py"


rule evaluation:
    input:
        unpack(state_files),
        kernel="results/kernels/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}.h5",
        labels=labels_file,
        samples=samples_task_file,
        data=paths.DATA,
    output:
        "results/evaluation/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}/{labels}~{others}.csv",
    log:
        "logs/evaluation/{dataset}/{samples}/{split}/{model}-seed{seed}/{state}/{kernel}/{labels}~{others}.log",
    wildcard_constraints:
        split="all|test",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.fit
    resources:
        gpu=GPU,
    params:
        kernel=kernel_kind,
        others=lambda w: [
            {"name": o, **dict(zip(("kind", "outputs"), paths.KERNELS[o]))}
            for o in w.others.split("+")
        ],
        svm=canonical(config["svm"]),
        invariance=canonical(config["invariance"]),
        kernel_settings=canonical(config["kernel"]),
        model=state_model,
        compute=JOBS.params(JOBS.fit),
        code=code_version("evaluation.py"),
    script:
        "../scripts/evaluation.py"
