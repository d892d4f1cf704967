# Dataset preparation: raw files in torchvision's layout -> normalized tensors.


rule prepare_dataset:
    output:
        "results/data/{dataset}.pt",
    log:
        "logs/prepare_dataset/{dataset}.log",
    wildcard_constraints:
        dataset=re.escape(DATASET),
    conda:
        "../../envs/ntkrepro.yaml"
    resources:
        mem_mb=data_mem_mb(),
    params:
        dataset=dataset_params(),
        source=dataset_source,
        code=code_version("prepare_dataset.py"),
    script:
        "../scripts/prepare_dataset.py"
