# Kernel regression on the training samples of a task, evaluated on its test samples (the linearized
# model solved exactly).


rule regression:
    input:
        unpack(state_files),
        kernel="results/kernels/{dataset}/{samples}/all/{model}-seed{seed}/{state}/{kernel}.h5",
        labels=labels_file,
        samples=samples_task_file,
        data=paths.DATA,
    output:
        "results/regression/{dataset}/{samples}/all/{model}-seed{seed}/{state}/{kernel}/{labels}.csv",
    log:
        "logs/regression/{dataset}/{samples}/all/{model}-seed{seed}/{state}/{kernel}/{labels}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: THREADS
    params:
        regression=canonical(config["regression"]),
        model=state_model,
        compute=compute_params(),
        code=code_version("regression.py"),
    script:
        "../scripts/regression.py"
