# Empirical-NTK Gram matrices, streamed tile by tile into chunked HDF5 (resumable).


rule gram_init:
    input:
        data="results/data/{dataset}.pt",
        model="results/init/{dataset}/{model}-seed{seed}.pt",
    output:
        keep("results/kernels/{dataset}/all/{model}-seed{seed}/init.h5"),
    log:
        "logs/gram/{dataset}/all/{model}-seed{seed}/init.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        mem_mb=GRAM_MEM_MB,
        gpu=GPU,
    params:
        kernel=kernel_params(),
        compute=compute_params(),
        samples="all",
        code=code_version("gram.py"),
    script:
        "../scripts/gram.py"


rule gram_checkpoint:
    input:
        data="results/data/{dataset}.pt",
        task=task_file,
        checkpoints="results/runs/{dataset}/{model}-seed{seed}/{task}/{kind}/checkpoints",
    output:
        keep(
            "results/kernels/{dataset}/{samples}/{model}-seed{seed}/{task}/{kind}/epoch{epoch}.h5"
        ),
    log:
        "logs/gram/{dataset}/{samples}/{model}-seed{seed}/{task}/{kind}/epoch{epoch}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        mem_mb=GRAM_MEM_MB,
        gpu=GPU,
    params:
        kernel=kernel_params(),
        compute=compute_params(),
        samples="{samples}",
        model=checkpoint_file,
        code=code_version("gram.py"),
    script:
        "../scripts/gram.py"
