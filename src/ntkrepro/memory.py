"""How much memory a computation may use on a device, and checks made before starting one."""

from __future__ import annotations

from pathlib import Path

import torch

from .errors import ResourceError

# Share of the memory available at start that the Gram engine's features and tiles may take
BUDGET_FRACTION = 0.25
CGROUP = Path("/sys/fs/cgroup")


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def cgroup_headroom() -> int | None:
    """Bytes left under this process's cgroup memory limit (a SLURM job's allocation), if any.

    A node's MemAvailable counts memory the job may not use; exceeding the cgroup limit gets the
    job killed.
    """
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        rel = rel.lstrip("/")
        if controllers == "":  # cgroup v2
            limit, usage = _read_int(CGROUP / rel / "memory.max"), _read_int(CGROUP / rel / "memory.current")
        elif "memory" in controllers.split(","):  # cgroup v1
            base = CGROUP / "memory"
            limit = _read_int(base / rel / "memory.limit_in_bytes") or _read_int(base / "memory.limit_in_bytes")
            usage = _read_int(base / rel / "memory.usage_in_bytes") or _read_int(base / "memory.usage_in_bytes")
        else:
            continue
        if limit is not None and usage is not None and limit < 1 << 60:
            return max(0, limit - usage)
    return None


def available_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    with open("/proc/meminfo") as f:
        info = dict(line.split(":", 1) for line in f)
    available = int(info["MemAvailable"].split()[0]) * 1024
    headroom = cgroup_headroom()
    return available if headroom is None else min(available, headroom)


def default_budget(device: torch.device) -> int:
    return int(BUDGET_FRACTION * available_bytes(device))


def describe(nbytes: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes:.0f} bytes"


def require(nbytes: float, device: torch.device, what: str, hint: str) -> None:
    """Fail before starting when ``what`` needs more than the device has available."""
    have = available_bytes(device)
    if nbytes > have:
        raise ResourceError(f"{what} needs about {describe(nbytes)} but only {describe(have)} is available on {device}; {hint}")
