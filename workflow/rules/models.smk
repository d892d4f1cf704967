# Initialization θ0 (saved once, shared by every later stage) and training with checkpoints, of
# networks and of their linearizations, with a named recipe.


rule initialize:
    output:
        paths.INIT,
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
        checkpoints=keep(directory(paths.CHECKPOINTS)),
        metrics=paths.METRICS,
        steps=paths.STEPS,
    log:
        "logs/train/{dataset}/{model}-seed{seed}/{task}/{recipe}/{form}.log",
    conda:
        "../../envs/ntkrepro.yaml"
    threads: JOBS.train
    resources:
        mem_mb=lambda w: resources.train_mb(
            PLAN.input_shape(w.dataset),
            sum(PLAN.sizes(w.dataset)),
            0 if w.form == "network" else config["linearization"]["jacobian_gb"],
        ),
        gpu=GPU,
    params:
        recipe=train_params,
        form=form_params,
        compute=JOBS.params(JOBS.train),
        resume=lambda w: paths.RESUME.format(**w),
        code=code_version("train.py"),
    script:
        "../scripts/train.py"
