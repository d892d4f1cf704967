# Kernels of a network state (θ0, or a run's checkpoint) on the samples of a task, streamed tile by
# tile into chunked HDF5 (resumable).


rule kernel_init:
    input:
        data=paths.DATA,
        samples=samples_task_file,
        model=paths.INIT,
    output:
        keep(paths.KERNEL_INIT),
    log:
        "logs/kernel/{dataset}/{samples}/{split}/{model}-seed{seed}/init/{kernel}.log",
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
        data=paths.DATA,
        samples=samples_task_file,
        checkpoints=paths.CHECKPOINTS,
    output:
        keep(paths.KERNEL_RUN),
    log:
        "logs/kernel/{dataset}/{samples}/{split}/{model}-seed{seed}/{task}/{recipe}/{form}/epoch{epoch}/{kernel}.log",
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
        model=checkpoint_file,
        code=code_version("kernel.py"),
    script:
        "../scripts/kernel.py"
