"""What every workflow script shares: logging into the rule's log file, thread and device
settings, and turning a user-facing error into one clear line instead of a traceback."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import traceback
from typing import Callable

import torch
from threadpoolctl import threadpool_limits

from .errors import ConfigError, NtkReproError


DEVICE_KEYS = ("compute.device", "spectrum.device")


def check_devices(params) -> None:
    """Refuse a job whose params ask for CUDA on a machine without it. The check belongs here, on the
    machine that runs the job: the process that plans a cluster's jobs often runs on a host without a
    GPU, while the jobs it submits get one."""
    for key in DEVICE_KEYS:
        section, name = key.split(".")
        if (getattr(params, section, None) or {}).get(name) == "cuda" and not torch.cuda.is_available():
            raise ConfigError(
                f"config key '{key}': cuda, but this machine ({socket.gethostname()}) has no CUDA GPU (use auto or cpu)"
            )


@contextlib.contextmanager
def config_keys(**keys: str):
    """Library errors raised inside name the library's arguments (``memory_bytes=``); this adds the
    config key that sets each argument a message names, e.g. ``memory_bytes="kernel.memory_gb"``."""
    try:
        yield
    except NtkReproError as e:
        named = [f"{argument}= is set by the config key {key}"
                 for argument, key in keys.items() if f"{argument}=" in str(e)]
        if not named:
            raise
        raise type(e)(f"{e}; {'; '.join(named)}") from e


def run(snakemake, main: Callable[[object, logging.Logger], None]) -> None:
    """Run ``main(snakemake, log)`` as a rule's script.

    Numerical work uses ``params.compute["threads"]`` threads (torch and BLAS) whatever the
    scheduler granted, so results do not depend on ``--cores``. A job whose params ask for CUDA on a
    machine without it stops before its work (:func:`check_devices`). Log lines go to the rule's log
    file and to stderr. An :class:`NtkReproError` ends the job with its one-line message; any
    other exception is logged with its traceback and re-raised.
    """
    log = logging.getLogger("ntkrepro")
    log.setLevel(logging.INFO)
    log.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(fmt)
    log.addHandler(stream)
    logfile = None
    if snakemake.log:
        logfile = logging.FileHandler(snakemake.log[0], mode="w")
        logfile.setFormatter(fmt)
        log.addHandler(logfile)
    compute = getattr(snakemake.params, "compute", None) or {}
    threads = int(compute.get("threads", snakemake.threads))
    torch.set_num_threads(threads)
    rule = getattr(snakemake, "rule", "script")
    try:
        check_devices(snakemake.params)
        with threadpool_limits(limits=threads):
            main(snakemake, log)
    except NtkReproError as e:
        log.error(f"{rule}: {e}")
        sys.exit(1)
    except BaseException:
        if logfile is not None:
            logfile.stream.write(traceback.format_exc())
            logfile.flush()
        raise

