"""Render the paper pages' images (docs/papers/<key>.md) from a build's tables: docs/figures/<item>.png for every figure of the
enabled papers whose CSV exists (the same plot functions as the PDFs, from the CSV alone).

    python docs/render_figures.py [--configfile config/config.yaml] [--figures figures] [--out docs/figures]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ntkrepro import config as cfg
from ntkrepro import io, plotting
from ntkrepro.papers import load_all
from ntkrepro.pipeline.plan import Plan

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--configfile", nargs="*", default=[])
    p.add_argument("--figures", default="figures")
    p.add_argument("--out", default=str(ROOT / "docs/figures"))
    args = p.parse_args(argv)
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    for extra in args.configfile:
        from snakemake.utils import update_config

        update_config(config, yaml.safe_load(Path(extra).read_text()))
    papers = load_all()
    cfg.validate(config, cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml", papers))
    for figure in Plan(config, papers).figures:
        table = Path(args.figures) / f"{figure.item}.csv"
        if table.exists():
            out = Path(args.out) / f"{figure.item}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            plotting.save(figure.module.plot(io.read_csv(table), figure.title), out, 110)
            print(f"wrote {out}")


if __name__ == "__main__":
    main()
