# Kernel regression on the training samples of a task, evaluated on its test samples (the linearized
# model solved exactly).


rule regression:
    input:
        unpack(state_files),
        kernel=paths.KERNEL,
        labels=labels_file,
        samples=samples_task_file,
        data=paths.DATA,
    output:
        paths.REGRESSION,
    log:
        paths.log("regression", "{labels}"),
    wildcard_constraints:
        split="all",
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
