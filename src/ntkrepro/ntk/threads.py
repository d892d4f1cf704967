"""How many threads the kernel engine uses when other processes share its CPUs.

The threads of one parallel product run in lockstep: when another CPU-bound process takes one of
two cores, every product waits at its end for the thread that was descheduled (up to a scheduler
time slice), and an engine made of many products slows far more than the share of CPU it lost.
So the engine measures, between units of work, how much of its CPUs other processes used, and
runs on the idle ones only (never more threads than ``torch.get_num_threads()`` at the start).
"""

from __future__ import annotations

import os
import time

import torch

# Seconds between two measurements (the kernel counts CPU time in ticks of 10 ms)
INTERVAL = 0.2
# Length of the first measurement, taken before a computation long enough to afford it
FIRST_LOOK = 0.03
TICKS = os.sysconf("SC_CLK_TCK")


def _cpus() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: no measurement
        return set()


def _busy_seconds(cpus: set[int]) -> float | None:
    """CPU seconds spent on ``cpus`` by all processes, from /proc/stat."""
    try:
        lines = open("/proc/stat").read().splitlines()
    except OSError:
        return None
    busy = 0
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu" and int(name[3:]) in cpus:
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
            busy += user + nice + system + irq + softirq + steal
    return busy / TICKS


class ThreadBudget:
    """Call :meth:`adjust` between units of work and :meth:`restore` at the end."""

    def __init__(self, expected_seconds: float = 0.0):
        self.requested = torch.get_num_threads()
        self.cpus = _cpus()
        self.active = self.requested > 1 and len(self.cpus) > 1 and _busy_seconds(self.cpus) is not None
        self.threads = self.requested
        if not self.active:
            return
        self.last = self._sample()
        if expected_seconds > 100 * FIRST_LOOK:
            time.sleep(FIRST_LOOK)
            self.adjust(force=True)

    def _sample(self) -> tuple[float, float, float]:
        return time.monotonic(), _busy_seconds(self.cpus), time.process_time()

    def adjust(self, force: bool = False) -> None:
        if not self.active:
            return
        now = self._sample()
        elapsed = now[0] - self.last[0]
        if elapsed < INTERVAL and not force:
            return
        others = max(0.0, (now[1] - self.last[1]) - (now[2] - self.last[2])) / max(elapsed, 1e-9)
        self.last = now
        idle = min(len(self.cpus), os.cpu_count() or 1) - others
        threads = max(1, min(self.requested, int(idle + 0.5)))
        if threads != self.threads:
            torch.set_num_threads(threads)
            self.threads = threads

    def restore(self) -> None:
        if self.threads != self.requested:
            torch.set_num_threads(self.requested)
            self.threads = self.requested
