"""Which torch device a setting names ("auto": CUDA when present)."""

from __future__ import annotations

import torch


def resolve_device(device) -> torch.device:
    """The torch device a setting names: ``auto`` (or None) is CUDA when present, else the CPU."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
