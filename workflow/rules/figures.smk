# Figures, generic over {item} (a figure's path under figures/: fig7, long2021/fig4, ...), in two
# steps each: a table rule gathers what earlier rules computed into figures/<item>.csv (the data the
# figure shows), and a plot rule draws figures/<item>.pdf from that table alone (a paper's tables are
# laid out as Markdown too, from the same CSV). A scorecard rule per
# paper reads its tables; one target rule per paper builds them all (`snakemake ortiz2021`).


rule figure_table:
    input:
        unpack(lambda w: figure(w).inputs),
    output:
        "figures/{item}.csv",
    log:
        "logs/figures/{item}.table.log",
    localrule: True
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        module=lambda w: figure(w).module.__name__,
        labels=lambda w: figure(w).labels,
        table=lambda w: canonical(figure(w).params),
        code=figure_code("figure_table.py"),
    script:
        "../scripts/figure_table.py"


rule figure_plot:
    input:
        "figures/{item}.csv",
    output:
        report(
            "figures/{item}.pdf",
            caption="../report/figure.rst",
            category=lambda w: PLAN.papers[figure(w).paper].TITLE,
            labels=lambda w: {"figure": figure(w).key},
        ),
    log:
        "logs/figures/{item}.plot.log",
    localrule: True
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        module=lambda w: figure(w).module.__name__,
        title=lambda w: figure(w).title,
        caption=lambda w: figure(w).caption,
        dpi=config["plot"]["dpi"],
        code=figure_code("figure_plot.py"),
    script:
        "../scripts/figure_plot.py"


# Items whose module defines markdown(table) (a paper's tables) are also laid out as Markdown,
# from the table alone: figures/<item>.md.
rule figure_markdown:
    input:
        "figures/{item}.csv",
    output:
        report(
            "figures/{item}.md",
            caption="../report/figure.rst",
            category=lambda w: PLAN.papers[figure(w).paper].TITLE,
            labels=lambda w: {"figure": f"{figure(w).key} (table)"},
        ),
    log:
        "logs/figures/{item}.markdown.log",
    wildcard_constraints:
        item=alternatives(f.item for f in PLAN.figures if f.markdown) or "(?!)",
    localrule: True
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        module=lambda w: figure(w).module.__name__,
        caption=lambda w: figure(w).caption,
        code=figure_code("figure_markdown.py"),
    script:
        "../scripts/figure_markdown.py"


rule claims:
    input:
        tables=lambda w: [f"figures/{f.item}.csv" for f in scorecard_figures(w)],
    output:
        md=report(
            "figures/{scorecard}.md",
            caption="../report/claims.rst",
            category=lambda w: PLAN.papers[PLAN.paper_of_claims(w.scorecard)].TITLE,
        ),
        csv="figures/{scorecard}.csv",
    log:
        "logs/figures/{scorecard}.log",
    localrule: True
    conda:
        "../../envs/ntkrepro.yaml"
    params:
        title=lambda w: PLAN.papers[PLAN.paper_of_claims(w.scorecard)].TITLE,
        labels=lambda w: [f.label for f in scorecard_figures(w)],
        modules=lambda w: [f.module.__name__ for f in scorecard_figures(w)],
        scale=lambda w: PLAN.scale(PLAN.paper_of_claims(w.scorecard)),
        code=lambda w: code_version(
            "claims.py", *(f.module.__name__ for f in scorecard_figures(w))
        ),
    script:
        "../scripts/claims.py"


for paper in PLAN.papers:

    rule:
        name:
            paper
        input:
            PLAN.targets(paper),
        localrule: True
