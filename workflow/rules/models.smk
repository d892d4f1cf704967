# Initialization θ0 (saved once, shared by every later stage) and training with checkpoints, of
# networks and of their linearizations.


rule initialize:
    output:
        "results/init/{dataset}/{model}-seed{seed}.pt",
    log:
        "logs/initialize/{dataset}/{model}-seed{seed}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        model=model_params,
        code=code_version("initialize.py"),
    script:
        "../scripts/initialize.py"


rule train:
    input:
        unpack(start_files),
        data=data_file,
        task=task_file,
    output:
        checkpoints=keep(
            directory(
                "results/runs/{dataset}/{model}-seed{seed}/{task}/{kind}/checkpoints"
            )
        ),
        metrics="results/runs/{dataset}/{model}-seed{seed}/{task}/{kind}/metrics.csv",
        steps="results/runs/{dataset}/{model}-seed{seed}/{task}/{kind}/steps.csv",
    log:
        "logs/train/{dataset}/{model}-seed{seed}/{task}/{kind}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    resources:
        mem_mb=train_mem_mb(),
        gpu=GPU,
    params:
        train=train_params,
        linearization=linearization_params,
        compute=compute_params(),
        resume=resume_dir,
        code=code_version("train.py"),
    script:
        "../scripts/train.py"
