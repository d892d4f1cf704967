# Metrics computed from kernels and spectra.


rule alignment:
    input:
        spectrum=paths.fill(paths.SPECTRUM, state=paths.STATE_INIT),
        kernel=paths.KERNEL,
    output:
        paths.ALIGNMENT,
    log:
        paths.log("alignment"),
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
        paths.KERNEL,
    output:
        paths.EIGENVALUES,
    log:
        paths.log("eigenvalues"),
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.eigenvalues
    resources:
        mem_mb=lambda w: resources.eigendecompose_mb(
            PLAN.sample_count(w.dataset, w.samples, w.split), 0
        ),
    params:
        compute=JOBS.params(JOBS.eigenvalues),
        code=code_version("eigenvalues.py"),
    script:
        "../scripts/eigenvalues.py"


rule evaluation:
    input:
        unpack(state_files),
        kernel=paths.KERNEL,
        labels=labels_file,
        samples=samples_task_file,
        data=paths.DATA,
    output:
        paths.EVALUATION,
    log:
        paths.log("evaluation", "{labels}~{others}"),
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
            {"name": o, **kernel_kinds.engine_options(o)} for o in w.others.split("+")
        ],
        svm=canonical(config["svm"]),
        invariance=canonical(config["invariance"]),
        kernel_settings=canonical(config["kernel"]),
        model=state_model,
        compute=JOBS.params(JOBS.fit),
        code=code_version("evaluation.py"),
    script:
        "../scripts/evaluation.py"
