"""How many threads each job computes with, from its size in the configuration (never from the load,
so that results stay bitwise reproducible for a fixed configuration): jobs estimated under
``compute.small_job_gflop`` GFLOPs run on one thread, so that Snakemake runs as many of them side by
side as it has cores; larger ones (big Grams, eigendecompositions, long trainings of convolutional
networks) on all of ``compute.threads``. Rules use one method per kind of job for their
``threads:`` and the same number in ``params.compute``, so changing a job's thread count re-runs it,
and only it."""

from __future__ import annotations

import functools
import math

import torch
from torch.utils.flop_counter import FlopCounterMode

from .. import models
from . import kernel_kinds, resources
from .plan import Plan

# The compute keys that reach a job's params; small_job_gflop only acts through the thread count.
JOB_KEYS = ("device", "threads")


def _by_size(flops):
    """A rule's thread count from ``flops(self, wildcards)``, its estimated work; not estimated when
    every job gets compute.threads anyway (one thread, or small_job_gflop 0)."""

    @functools.wraps(flops)
    def threads(self, wildcards) -> int:
        if self.threads == 1 or self.small_job_gflop == 0:
            return self.threads
        return resources.job_threads(flops(self, wildcards), self.threads, self.small_job_gflop)

    return threads


class JobThreads:
    def __init__(self, plan: Plan, compute: dict):
        self.plan = plan
        self.threads = compute["threads"]
        self.small_job_gflop = compute["small_job_gflop"]
        self.compute = {k: compute[k] for k in JOB_KEYS}
        self._networks: dict[tuple, tuple[float, int, int]] = {}

    def params(self, threads):
        """``params.compute`` of a rule whose ``threads:`` is ``threads`` (one of the methods below)."""
        return lambda wildcards: {**self.compute, "threads": threads(wildcards)}

    def network(self, model: str, dataset: str) -> tuple[float, int, int]:
        """(forward FLOPs per sample, parameters, outputs) of a model on a dataset's inputs."""
        key = (model, tuple(self.plan.input_shape(dataset)))
        if key not in self._networks:
            self._networks[key] = _network_size(self.plan.model_spec(model), key[1])
        return self._networks[key]

    @_by_size
    def train(self, wildcards) -> float:
        forward, _, _ = self.network(wildcards.model, wildcards.dataset)
        n_train = self.plan.sample_count(wildcards.dataset, wildcards.task, "train")
        epochs = self.plan.recipe(wildcards.recipe).epochs
        return resources.train_flops(forward, n_train, epochs, linearized=wildcards.form != "network")

    @_by_size
    def kernel(self, wildcards) -> float:
        forward, n_params, n_outputs = self.network(wildcards.model, wildcards.dataset)
        m = self.plan.sample_count(wildcards.dataset, wildcards.samples, wildcards.split)
        rows = n_outputs if kernel_kinds.KINDS[wildcards.kernel][1] != "scalar" else 1
        return resources.gram_flops(forward, n_params, m, rows)

    @_by_size
    def layer_kernels(self, wildcards) -> float:
        """One forward pass over the samples, and per probed module a Gram matrix of its features
        (counted as 2 m² FLOPs per feature entry, at one entry per module: a lower bound)."""
        forward, _, _ = self.network(wildcards.model, wildcards.dataset)
        m = self.plan.sample_count(wildcards.dataset, wildcards.samples, wildcards.split)
        return forward * m + 2.0 * m * m * len(self.plan.probes[wildcards.probe]["modules"])

    @_by_size
    def eigendecompose(self, wildcards) -> float:
        return resources.eigendecompose_flops(self.plan.sample_count(wildcards.dataset, wildcards.samples, wildcards.split), self._k)

    @_by_size
    def eigenvalues(self, wildcards) -> float:
        return resources.eigendecompose_flops(self.plan.sample_count(wildcards.dataset, wildcards.samples, wildcards.split), 0)

    @_by_size
    def alignment(self, wildcards) -> float:
        m = self.plan.sample_count(wildcards.dataset, wildcards.samples, wildcards.split)
        return resources.alignment_flops(m, self._k)

    @_by_size
    def fit(self, wildcards) -> float:
        """Kernel regressions and evaluations of a kernel."""
        split = getattr(wildcards, "split", "all")
        return resources.fit_flops(self.plan.sample_count(wildcards.dataset, wildcards.samples, split))

    @_by_size
    def nads(self, wildcards) -> float:
        forward, n_params, _ = self.network(wildcards.model, wildcards.dataset)
        d = math.prod(self.plan.input_shape(wildcards.dataset))
        samples = self.plan.dataset_spec(wildcards.dataset)["samples"]
        return resources.nads_flops(forward, n_params, d, samples)

    @property
    def _k(self) -> int:
        return self.plan.config["spectrum"]["k"]


def _network_size(spec: dict, input_shape: tuple) -> tuple[float, int, int]:
    # Built on the meta device: no memory, no random numbers drawn, FLOPs counted all the same.
    with torch.device("meta"):
        net = models.build_model(spec["arch"], input_shape, spec["options"])
        with FlopCounterMode(display=False) as counter:
            out = net(torch.empty(1, *input_shape))
    return counter.get_total_flops(), models.parameter_count(net), out[0].numel()
