"""Where ntkrepro's LeNet kernels spend their time: torch.profiler on one thread (the worker threads
of a multi-threaded call are not recorded), the operators with the most self time for the trace and
full 10-output kernels (m = 1,000) and the scalar kernel (m = 2,000).

    PYTHONPATH=src python benchmarks/gram_profile.py
"""
import sys, time, torch
sys.path.insert(0, "benchmarks")
import gram_benchmark as gb
from ntkrepro import ntk
from torch.profiler import profile, ProfilerActivity
torch.set_num_threads(1)
torch.manual_seed(0)
for kind, m, outputs in [("trace", 1000, 10), ("full", 1000, 10), ("scalar", 2000, 1)]:
    net = gb.build("lenet", outputs).eval()
    x = torch.randn(m, 3, 32, 32)
    t = time.perf_counter(); ntk.gram(net, x, outputs=kind); t = time.perf_counter() - t
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        ntk.gram(net, x, outputs=kind)
    tot = sum(e.self_cpu_time_total for e in prof.key_averages())
    print(f"== {kind} m={m}: {t:.2f} s unprofiled, profiled self total {tot/1e6:.2f} s")
    for e in sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:6]:
        print(f"   {e.key:32s} {e.self_cpu_time_total/1e6:7.2f} s  {e.count:6d} calls")
