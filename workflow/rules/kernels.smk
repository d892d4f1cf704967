# Kernels of a network state (θ0, or a run's checkpoint) on the samples of a task, streamed tile by
# tile into chunked HDF5 (resumable).


rule kernel_init:
    input:
        data=paths.DATA,
        samples=samples_task_file,
        model=paths.INIT,
    output:
        keep(paths.KERNEL),
    log:
        paths.log("kernel"),
    wildcard_constraints:
        state=paths.STATE_INIT,
    cache: CACHE
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.kernel
    resources:
        mem_mb=resources.gram_mb(config["kernel"]["memory_gb"]),
        gpu=GPU,
    params:
        kind=kernel_kind,
        kernel=canonical(config["kernel"]),
        compute=JOBS.params(JOBS.kernel),
        code=code_version("kernel.py"),
    script:
        "../scripts/kernel.py"


rule kernel_checkpoint:
    input:
        unpack(state_files),
        data=paths.DATA,
        samples=samples_task_file,
    output:
        keep(paths.KERNEL),
    log:
        paths.log("kernel"),
    wildcard_constraints:
        state=paths.STATE_RUN_WILDCARD,
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.kernel
    resources:
        mem_mb=resources.gram_mb(config["kernel"]["memory_gb"]),
        gpu=GPU,
    params:
        kind=kernel_kind,
        kernel=canonical(config["kernel"]),
        compute=JOBS.params(JOBS.kernel),
        model=state_model,
        code=code_version("kernel.py"),
    script:
        "../scripts/kernel.py"


# The outputs f(x) of a network state on the samples of a task (a kernel predictor's offset).
rule outputs:
    input:
        unpack(state_files),
        data=paths.DATA,
        samples=samples_task_file,
    output:
        paths.OUTPUTS,
    log:
        paths.OUTPUTS_LOG,
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        model=state_model,
        code=code_version("outputs.py"),
    script:
        "../scripts/outputs.py"


# Every probed module's feature kernel (and the input kernel) of one network state, from one pass,
# in one file.
rule layer_kernels:
    input:
        unpack(state_files),
        data=paths.DATA,
        samples=samples_task_file,
    output:
        paths.LAYER_KERNELS,
    log:
        paths.LAYER_KERNELS_LOG,
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.layer_kernels
    params:
        probe=lambda w: PLAN.probes[w.probe],
        dtype=config["kernel"]["dtype"],
        compute=JOBS.params(JOBS.layer_kernels),
        model=state_model,
        code=code_version("layer_kernels.py"),
    script:
        "../scripts/layer_kernels.py"
