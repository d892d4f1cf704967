# Dataset preparation: raw files in torchvision's layout -> normalized tensors.


rule prepare_dataset:
    output:
        data=paths.DATA,
        source=paths.DATA_SOURCE,
    log:
        "logs/prepare_dataset/{dataset}.log",
    wildcard_constraints:
        dataset=alternatives(n for n in PLAN.datasets if not n.startswith("gaussian")),
    conda:
        "../../envs/ntkrepro.yaml"
    resources:
        mem_mb=lambda w: resources.dataset_mb(
            PLAN.input_shape(w.dataset), sum(PLAN.sizes(w.dataset))
        ),
    params:
        dataset=dataset_params,
        source=dataset_source,
        code=code_version("prepare_dataset.py"),
    script:
        "../scripts/prepare_dataset.py"
