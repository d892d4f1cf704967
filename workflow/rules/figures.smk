# Figures, in two steps each: a table rule gathers what earlier rules computed into
# figures/figN.csv (the data the figure shows), and a plot rule draws figures/figN.pdf from that
# table alone. The claims scorecard reads the tables.


if "fig2" in config:

    rule fig2_table:
        input:
            metrics=fig2_metrics(),
        output:
            "figures/fig2.csv",
        log:
            "logs/figures/fig2_table.log",
        localrule: True
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            runs=fig2_runs(),
            code=code_version("fig2_table.py"),
        script:
            "../scripts/fig2_table.py"


if "fig3" in config:

    rule fig3_table:
        input:
            metrics=fig3_runs("metrics"),
            steps=fig3_runs("steps"),
        output:
            "figures/fig3.csv",
        log:
            "logs/figures/fig3_table.log",
        localrule: True
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            indices=config["fig3"]["eigenfunctions"],
            threshold=config["fig3"]["loss_threshold"],
            code=code_version("fig3_table.py"),
        script:
            "../scripts/fig3_table.py"


if "fig4" in config:

    rule fig4_table:
        input:
            nads=fig4_nads(),
            metrics=fig4_metrics(),
        output:
            "figures/fig4.csv",
        log:
            "logs/figures/fig4_table.log",
        localrule: True
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            models=config["fig4"]["models"],
            runs=fig4_runs(),
            code=code_version("fig4_table.py"),
        script:
            "../scripts/fig4_table.py"


if "fig5" in config:

    rule fig5_table:
        input:
            metrics=fig5_metrics(),
        output:
            "figures/fig5.csv",
        log:
            "logs/figures/fig5_table.log",
        localrule: True
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            runs=fig5_runs(),
            code=code_version("fig5_table.py"),
        script:
            "../scripts/fig5_table.py"


if "fig6" in config:

    rule fig6_table:
        input:
            task=fig6_task_file(),
            spectra=fig6_spectra(),
        output:
            "figures/fig6.csv",
        log:
            "logs/figures/fig6_table.log",
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            epochs=sorted(config["fig6"]["epochs"]),
            k=config["fig6"]["k"],
            code=code_version("energy_concentration.py"),
        script:
            "../scripts/energy_concentration.py"


rule fig7_table:
    input:
        alignment=fig7_alignment(),
    output:
        "figures/fig7.csv",
    log:
        "logs/figures/fig7_table.log",
    localrule: True
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        target=config["fig7"]["target"],
        code=code_version("fig7_table.py"),
    script:
        "../scripts/fig7_table.py"


if "fig8" in config:

    rule fig8_table:
        input:
            metrics=[path for _, path in fig8_runs()],
        output:
            "figures/fig8.csv",
        log:
            "logs/figures/fig8_table.log",
        localrule: True
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            names=[name for name, _ in fig8_runs()],
            code=code_version("fig8_table.py"),
        script:
            "../scripts/fig8_table.py"


if "fig9" in config:

    rule fig9_table:
        input:
            metrics=[path for _, path in fig9_runs()],
        output:
            "figures/fig9.csv",
        log:
            "logs/figures/fig9_table.log",
        localrule: True
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            runs=[label for label, _ in fig9_runs()],
            code=code_version("fig9_table.py"),
        script:
            "../scripts/fig9_table.py"


for n in FIGURE_NUMBERS:

    rule:
        name:
            f"fig{n}"
        input:
            f"figures/fig{n}.csv",
        output:
            report(
                f"figures/fig{n}.pdf",
                caption=f"../report/fig{n}.rst",
                category="Figures",
                labels={"figure": n},
            ),
        log:
            f"logs/figures/fig{n}.log",
        localrule: True
        conda:
            "../../envs/ntkrepro.yaml"
        params:
            figure=n,
            title=figure_title(n),
            dpi=config["plot"]["dpi"],
            code=code_version("plot_figure.py"),
        script:
            "../scripts/plot_figure.py"


rule claims:
    input:
        tables=[f"figures/fig{n}.csv" for n in FIGURE_NUMBERS],
    output:
        md=report(
            "figures/claims.md", caption="../report/claims.rst", category="Claims"
        ),
        csv="figures/claims.csv",
    log:
        "logs/figures/claims.log",
    localrule: True
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        figures=FIGURE_NUMBERS,
        scale=scale_text(),
        code=code_version("claims.py"),
    script:
        "../scripts/claims.py"
