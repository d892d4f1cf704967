#!/usr/bin/env bash
# Snakemake runs this once, in the environment it has just built from ntkrepro.yaml, from the
# workflow's working directory: the repository, where the Snakefile reads config/config.yaml.
# Editable, so that the jobs run the checkout's library as it is edited; the dependencies are
# ntkrepro.yaml's pins (--no-deps), not pip's latest.
set -euo pipefail
if [ ! -f pyproject.toml ] || [ ! -d src/ntkrepro ]; then
    echo "envs/ntkrepro.post-deploy.sh: $(pwd) is not the ntkrepro repository; run snakemake from the repository" >&2
    exit 1
fi
python -m pip install --quiet --no-deps -e .
