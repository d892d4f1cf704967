# Tasks: labels for the training and test samples (and which samples, for tasks that keep some).
# Labelled from the dataset (tasks), per seed (class-stratified subsets), or from the network at θ0
# (sign(φ_j) of its NTK, and the NAD tasks, which carry their own Gaussian inputs).


rule dataset_task:
    input:
        data=paths.DATA,
    output:
        paths.TASK["data"],
    log:
        "logs/tasks/{dataset}/{task}.log",
    wildcard_constraints:
        task=ntk_tasks.wildcard_pattern(ntk_tasks.DATA),
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        seed=None,
        code=code_version("dataset_task.py"),
    script:
        "../scripts/dataset_task.py"


rule seeded_task:
    input:
        data=paths.DATA,
    output:
        paths.TASK["seed"],
    log:
        "logs/tasks/{dataset}/seed{seed}/{task}.log",
    wildcard_constraints:
        task=ntk_tasks.wildcard_pattern(ntk_tasks.SEED),
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        seed=lambda w: int(w.seed),
        code=code_version("dataset_task.py"),
    script:
        "../scripts/dataset_task.py"


rule eigenfunction_task:
    input:
        data=paths.DATA,
        spectrum=paths.fill(
            paths.SPECTRUM,
            samples="classes",
            split="all",
            state=paths.STATE_INIT,
            kernel="ntk",
        ),
    output:
        "results/tasks/{dataset}/{model}-seed{seed}/eigenfunction{index}.pt",
    log:
        "logs/tasks/{dataset}/{model}-seed{seed}/eigenfunction{index}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        origins=lambda w: sorted(PLAN.origins.get(f"eigenfunction{w.index}", [])),
        code=code_version("eigenfunction_task.py"),
    script:
        "../scripts/eigenfunction_task.py"


rule nad_task:
    input:
        nads=paths.NADS,
    output:
        "results/tasks/{dataset}/{model}-seed{seed}/nad{index}.pt",
    log:
        "logs/tasks/{dataset}/{model}-seed{seed}/nad{index}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        inputs=dataset_params,
        input_shape=lambda w: list(PLAN.input_shape(w.dataset)),
        seed=lambda w: int(w.seed),
        code=code_version("nad_task.py"),
    script:
        "../scripts/nad_task.py"
