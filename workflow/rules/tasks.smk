# Binary tasks: ±1 labels for a prepared dataset.


rule eigenfunction_task:
    input:
        spectrum="results/spectra/{dataset}/all/{arch}-seed{seed}/init.h5",
    output:
        "results/tasks/{dataset}/{arch}-seed{seed}/eigenfunction{index}.pt",
    log:
        "logs/eigenfunction_task/{dataset}/{arch}-seed{seed}/eigenfunction{index}.log",
    wildcard_constraints:
        index=r"\d+",
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        n_train=N_TRAIN,
        code=code_version("tasks"),
    script:
        "../scripts/eigenfunction_task.py"
