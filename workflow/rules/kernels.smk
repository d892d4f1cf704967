# Empirical-NTK Gram matrices, streamed tile by tile into chunked HDF5 (resumable).


rule gram_init:
    input:
        dataset="results/data/{dataset}.pt",
        model="results/init/{dataset}/{arch}-seed{seed}.pt",
    output:
        "results/kernels/{dataset}/{samples}/{arch}-seed{seed}/init.h5",
    log:
        "logs/gram/{dataset}/{samples}/{arch}-seed{seed}/init.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        gpu=1,
    params:
        kernel=kernel_params(),
        compute=compute_params(),
        samples="{samples}",
        code=code_version("ntk"),
    script:
        "../scripts/gram.py"


rule gram_checkpoint:
    input:
        dataset="results/data/{dataset}.pt",
        checkpoints="results/runs/{dataset}/{arch}-seed{seed}/{task}/{kind}/checkpoints",
    output:
        "results/kernels/{dataset}/{samples}/{arch}-seed{seed}/{task}/{kind}/epoch{epoch}.h5",
    log:
        "logs/gram/{dataset}/{samples}/{arch}-seed{seed}/{task}/{kind}/epoch{epoch}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        gpu=1,
    params:
        kernel=kernel_params(),
        compute=compute_params(),
        samples="{samples}",
        model=checkpoint_file,
        code=code_version("ntk"),
    script:
        "../scripts/gram.py"
