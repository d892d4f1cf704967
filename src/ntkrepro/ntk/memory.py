"""How much memory a computation may use on a device, and checks made before starting one."""

from __future__ import annotations

import torch

from ..errors import ResourceError

# Share of the memory available at start that the Gram engine's features and tiles may take
BUDGET_FRACTION = 0.25


def available_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    with open("/proc/meminfo") as f:
        info = dict(line.split(":", 1) for line in f)
    return int(info["MemAvailable"].split()[0]) * 1024


def default_budget(device: torch.device) -> int:
    return int(BUDGET_FRACTION * available_bytes(device))


def require(nbytes: float, device: torch.device, what: str, hint: str) -> None:
    """Fail before starting when ``what`` needs more than the device has available."""
    have = available_bytes(device)
    if nbytes > have:
        raise ResourceError(
            f"{what} needs about {nbytes / 2**30:.1f} GiB but only {have / 2**30:.1f} GiB is available "
            f"on {device}; {hint}"
        )
