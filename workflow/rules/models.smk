# Initialization θ0 (saved once, shared by every later stage) and training with checkpoints.


rule initialize:
    output:
        "results/init/{dataset}/{arch}-seed{seed}.pt",
    log:
        "logs/initialize/{dataset}/{arch}-seed{seed}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        model=arch_params,
        code=code_version("models"),
    script:
        "../scripts/initialize.py"


rule train:
    input:
        dataset="results/data/{dataset}.pt",
        theta0="results/init/{dataset}/{arch}-seed{seed}.pt",
        task=task_file,
    output:
        checkpoints=directory(
            "results/runs/{dataset}/{arch}-seed{seed}/{task}/{kind}/checkpoints"
        ),
        metrics="results/runs/{dataset}/{arch}-seed{seed}/{task}/{kind}/metrics.csv",
        steps="results/runs/{dataset}/{arch}-seed{seed}/{task}/{kind}/steps.csv",
    log:
        "logs/train/{dataset}/{arch}-seed{seed}/{task}/{kind}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        gpu=1,
    params:
        train=train_params,
        compute=compute_params(),
        resume=resume_dir,
        code=code_version("train", "models"),
    script:
        "../scripts/train.py"
