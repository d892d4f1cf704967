# Snakemake injects `snakemake` into every script; this tells type checkers so.
from typing import Any

snakemake: Any
