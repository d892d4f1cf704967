"""Which torch device a setting names ("auto": CUDA when present)."""

from __future__ import annotations

import torch


def resolve_device(device) -> torch.device:
    """The device ``device`` names, refused in one line when torch does not know it or this
    machine lacks it (rather than the driver's error at the first tensor moved there)."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device={device!r}: not a torch device (cpu, cuda, cuda:<index>; None: CUDA when present)"
        ) from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r}: this machine has no CUDA GPU (torch.cuda.is_available() is False); "
                             "use device='cpu', or None for CUDA when present")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    return resolved
