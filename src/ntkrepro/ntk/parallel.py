"""Parallel work for the kernel engine on CPUs: independent units (a chunk of samples' features,
a row block of a kernel tile), each run single-threaded, handed out to ``torch.get_num_threads()``
worker threads from a queue.

Why not torch's own intra-op threads: those run every product in lockstep, so when another
process takes one of the cores, every product waits for the descheduled thread at its end, and
an engine made of many products slows several times more than the share of CPU it lost. Workers
that each take the next unit when done simply progress at their own speed. And a unit computed
single-threaded gives the same bits whichever worker runs it and however many there are, so the
result does not depend on the load of the machine (a resumed computation equals an
uninterrupted one).
"""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

import torch

T = TypeVar("T")


class Workers:
    """Runs units of work on ``n`` single-threaded workers (``n = 1``: in the calling thread, with
    torch's threads as they are, as on GPUs). Each unit gets a private copy of ``extractor``
    (hooks and torch.func calls modify their model while they run, so workers must not share it)."""

    def __init__(self, n: int, extractor):
        self.n = n
        self.requested = torch.get_num_threads()
        self.extractors: queue.SimpleQueue = queue.SimpleQueue()
        self.extractors.put(extractor)
        for _ in range(n - 1):
            self.extractors.put(extractor.clone())
        self.pool = ThreadPoolExecutor(n, initializer=torch.set_num_threads, initargs=(1,)) if n > 1 else None

    def map(self, fn: Callable[..., T], items: Iterable) -> list[T]:
        """``[fn(item) for item in items]``, in parallel."""
        if self.pool is None:
            return [fn(item) for item in items]
        return list(self.pool.map(fn, items))

    def extract(self, x: torch.Tensor, out=None):
        """Features of ``x`` from one of the private extractors."""
        extractor = self.extractors.get()
        try:
            return extractor(x, out)
        finally:
            self.extractors.put(extractor)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
            torch.set_num_threads(self.requested)  # the workers' setting is partly process-wide
