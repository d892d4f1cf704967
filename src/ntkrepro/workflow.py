"""What every workflow script shares: logging into the rule's log file, thread and device
settings, and turning a user-facing error into one clear line instead of a traceback."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Callable

import torch

from .errors import NtkReproError
from .ntk.engine import resolve_device


def run(snakemake, main: Callable[[object, logging.Logger], None]) -> None:
    """Run ``main(snakemake, log)`` as a rule's script.

    Log lines go to the rule's log file (and stderr). An :class:`NtkReproError` ends the job with
    its message alone; any other exception is logged with its traceback and re-raised.
    """
    log = logging.getLogger("ntkrepro")
    log.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        handlers.append(logging.FileHandler(snakemake.log[0], mode="w"))
    for h in handlers:
        h.setFormatter(fmt)
        log.addHandler(h)
    torch.set_num_threads(max(1, int(snakemake.threads)))
    rule = getattr(snakemake, "rule", "script")
    try:
        main(snakemake, log)
    except NtkReproError as e:
        log.error(f"{rule}: {e}")
        sys.exit(1)
    except BaseException:
        log.error(traceback.format_exc())
        raise


def device(requested: str) -> torch.device:
    return resolve_device(requested)
