"""Where ntkrepro's LeNet kernels spend their time: torch.profiler on one thread (the worker threads
of a multi-threaded call are not recorded), the operators with the most self time for the trace and
full 10-output kernels (m = 1,000) and the scalar kernel (m = 2,000).

    PYTHONPATH=src python benchmarks/gram_profile.py
"""

import time

import torch
from torch.profiler import ProfilerActivity, profile

from gram_benchmark import build
from ntkrepro import ntk

RUNS = [("trace", 1000, 10), ("full", 1000, 10), ("scalar", 2000, 1)]


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for kind, m, outputs in RUNS:
        net = build("lenet", outputs)
        x = torch.randn(m, 3, 32, 32)
        start = time.perf_counter()
        ntk.gram(net, x, outputs=kind)
        seconds = time.perf_counter() - start
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            ntk.gram(net, x, outputs=kind)
        events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
        total = sum(e.self_cpu_time_total for e in events) / 1e6
        print(f"== {kind} m={m}: {seconds:.2f} s unprofiled, profiled self total {total:.2f} s")
        for e in events[:6]:
            print(f"   {e.key:32s} {e.self_cpu_time_total / 1e6:7.2f} s  {e.count:6d} calls")


if __name__ == "__main__":
    main()
