# Binary tasks: ±1 labels for the training and test samples (NAD tasks carry their own inputs).


rule eigenfunction_task:
    input:
        spectrum="results/spectra/{dataset}/all/{model}-seed{seed}/init.h5",
    output:
        "results/tasks/{dataset}/{model}-seed{seed}/eigenfunction{index}.pt",
    log:
        "logs/tasks/{dataset}/{model}-seed{seed}/eigenfunction{index}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        n_train=N_TRAIN,
        code=code_version("eigenfunction_task.py"),
    script:
        "../scripts/eigenfunction_task.py"


rule cifar2_task:
    input:
        dataset="results/data/{dataset}.pt",
    output:
        "results/tasks/{dataset}/cifar2.pt",
    log:
        "logs/tasks/{dataset}/cifar2.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        size=None,
        seed=None,
        code=code_version("cifar2_task.py"),
    script:
        "../scripts/cifar2_task.py"


rule cifar2_subset_task:
    input:
        dataset="results/data/{dataset}.pt",
    output:
        "results/tasks/{dataset}/seed{seed}/cifar2-n{size}.pt",
    log:
        "logs/tasks/{dataset}/seed{seed}/cifar2-n{size}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        size=lambda w: int(w.size),
        seed=lambda w: int(w.seed),
        code=code_version("cifar2_task.py"),
    script:
        "../scripts/cifar2_task.py"


rule nad_task:
    input:
        nads="results/nads/{dataset}/{model}-seed{seed}.h5",
    output:
        "results/tasks/{dataset}/{model}-seed{seed}/nad{index}.pt",
    log:
        "logs/tasks/{dataset}/{model}-seed{seed}/nad{index}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        task=fig4_task_params(),
        input_shape=lambda w: input_shape(w.dataset),
        seed=lambda w: int(w.seed),
        code=code_version("nad_task.py"),
    script:
        "../scripts/nad_task.py"
