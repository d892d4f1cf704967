#!/usr/bin/env bash
# The GPU check as a lent device machine runs it (benchmarks/README.md, "GPU check"):
#
#   benchmarks/gpu_check.sh wheels     # here, before the lease: the wheels the Snakemake item needs, in .whl/
#   benchmarks/gpu_check.sh [ARGS]     # there: python3 benchmarks/gpu_check.py --device cuda --out $OUT/gpu_check.md ARGS
#
# The device machine's Python has torch, numpy, scipy, scikit-learn and h5py but not Snakemake,
# jsonschema or mlxtend, and cannot download; the second form installs whatever .whl/ holds first.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# Snakemake 9.27.1, jsonschema and mlxtend with the requirements the device machine's image lacks
# (the pins of requirements.txt and their resolution there)
WHEELS="ConfigArgParse==1.9.0 GitPython==3.2.1 PuLP==3.3.2 SQLAlchemy==2.0.58 annotated-types==0.8.0
argparse-dataclass==2.0.0 conda-inject==1.3.2 connection_pool==0.0.3 docutils==0.22.4 dpath==2.2.0
fastjsonschema==2.22.3 gitdb==4.0.12 greenlet==3.5.6 humanfriendly==10.0 immutables==0.21
jsonschema-specifications==2025.9.1 jsonschema==4.26.0 jupyter_core==5.9.1 mlxtend==0.25.0 nbformat==5.11.1
platformdirs==4.14.9 pydantic==2.14.4 pydantic_core==2.50.5 referencing==0.37.0 rpds-py==2026.9.1
smart_open==7.7.1 smmap==5.0.3 snakemake-interface-common==1.23.0 snakemake-interface-executor-plugins==9.4.0
snakemake-interface-logger-plugins==2.1.0 snakemake-interface-report-plugins==1.3.0
snakemake-interface-scheduler-plugins==2.0.2 snakemake-interface-storage-plugins==4.4.1 snakemake==9.27.1
sqlmodel==0.0.37 tenacity==9.2.1 throttler==1.2.3 traitlets==5.16.1 typing-inspection==0.4.5 tzdata==2026.6
yte==1.9.4"

if [[ ${1:-} == wheels ]]; then
    # the device machine runs CPython 3.12 on x86-64
    # shellcheck disable=SC2086
    "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl $WHEELS
    du -sh .whl
    exit 0
fi

if compgen -G ".whl/*.whl" >/dev/null; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
out=${OUT:-benchmarks/out}
mkdir -p "$out"
"$PYTHON" benchmarks/gpu_check.py --device cuda --out "$out/gpu_check.md" "$@" 2>&1 | tee "$out/gpu_check.log"
