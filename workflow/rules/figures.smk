# Figures: each reads the tables computed upstream, writes figures/figN.csv and draws figures/figN.pdf.


rule fig7:
    input:
        alignment=fig7_alignment(),
    output:
        csv="figures/fig7.csv",
        pdf=report(
            "figures/fig7.pdf",
            caption="../report/fig7.rst",
            category="Figures",
            labels={"figure": "7"},
        ),
    log:
        "logs/figures/fig7.log",
    localrule: True
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        target=FIG7["target"],
        title=(
            f"{FIG7['arch']} on {DATASET} ({N_TRAIN + N_TEST:,} samples, "
            f"K = {config['spectrum']['k']:,} eigenfunctions of the NTK at θ0)\n"
            f"trained {EPOCHS} epochs on sign(φ_{FIG7['target']})"
        ),
        dpi=config["plot"]["dpi"],
        code=code_version("plotting"),
    script:
        "../scripts/fig7.py"
