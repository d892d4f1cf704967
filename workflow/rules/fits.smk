# Kernel fits on the training samples of a task, evaluated on its test samples: the hard-margin SVM
# (kernel quality) and kernel regression (the linearized model solved exactly).


rule svm:
    input:
        kernel="results/kernels/{dataset}/{samples}/all/{model}-seed{seed}/{state}/{kernel}.h5",
        labels=labels_file,
    output:
        "results/svm/{dataset}/{samples}/all/{model}-seed{seed}/{state}/{kernel}/{labels}.csv",
    log:
        "logs/svm/{dataset}/{samples}/all/{model}-seed{seed}/{state}/{kernel}/{labels}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.fit
    params:
        svm=canonical(config["svm"]),
        compute=JOBS.params(JOBS.fit),
        code=code_version("svm.py"),
    script:
        "../scripts/svm.py"


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
    threads: JOBS.fit
    params:
        regression=canonical(config["regression"]),
        model=state_model,
        compute=JOBS.params(JOBS.fit),
        code=code_version("regression.py"),
    script:
        "../scripts/regression.py"
