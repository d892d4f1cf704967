"""Threads per job: one for small jobs, compute.threads for large ones, from the configuration alone."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ntkrepro import config as cfg
from ntkrepro.papers import load_all
from ntkrepro.pipeline import resources
from ntkrepro.pipeline.plan import Plan
from ntkrepro.pipeline.threads import JobThreads

ROOT = Path(__file__).resolve().parents[1]
PAPERS = load_all()
SCHEMA = cfg.load_schema(ROOT / "workflow/schemas/config.schema.yaml", PAPERS)

# A Long-2021 VGG trained for 10 epochs on 256 samples (~0.4 TFLOP) and a width-4 ResNet18 trained
# for 40 epochs on 4,000 (~1.7 TFLOP), both in the default configuration.
VGG_RUN = SimpleNamespace(dataset="mnist-5k-raw", model="long-vgg", seed=42, task="3v8-n256", recipe="long2021",
                          form="network")
RESNET_RUN = SimpleNamespace(dataset="mnist-5k", model="resnet18", seed=42, task="cifar2", recipe="ortiz2021",
                             form="network")


def job_threads(**compute):
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["compute"].update(compute)
    return JobThreads(Plan(cfg.validate(config, SCHEMA), PAPERS), config["compute"])


@pytest.fixture(scope="module")
def default():
    return job_threads()


def test_the_cut_is_on_estimated_gflops():
    assert resources.job_threads(0.99e12, 8, 1000) == 1
    assert resources.job_threads(1e12, 8, 1000) == 8
    assert resources.job_threads(1.0, 8, 0) == 8  # 0: every job on compute.threads


def test_small_jobs_get_one_thread_and_large_ones_all(default):
    assert default.train(VGG_RUN) == 1
    assert default.train(RESNET_RUN) == 2
    kernel = SimpleNamespace(dataset="mnist-5k", samples="classes", split="all", model="lenet", seed=42, kernel="ntk")
    assert default.kernel(kernel) == 2
    assert default.kernel(SimpleNamespace(**{**vars(kernel), "samples": "cifar2-n500", "split": "train"})) == 1
    assert default.eigendecompose(kernel) == 2
    assert default.eigendecompose(SimpleNamespace(**{**vars(kernel), "split": "train"})) == 1
    assert default.eigenvalues(kernel) == 1


def test_a_job_computes_with_the_threads_it_is_scheduled_with(default):
    assert default.params(default.train)(VGG_RUN) == {"device": "auto", "threads": 1}
    assert default.params(default.train)(RESNET_RUN) == {"device": "auto", "threads": 2}


def test_changing_a_key_changes_the_params_of_exactly_the_jobs_it_moves(default):
    more = job_threads(threads=4)
    assert more.params(more.train)(VGG_RUN) == default.params(default.train)(VGG_RUN)
    assert more.params(more.train)(RESNET_RUN) == {"device": "auto", "threads": 4}
    higher_cut = job_threads(small_job_gflop=10_000)
    assert higher_cut.params(higher_cut.train)(VGG_RUN) == default.params(default.train)(VGG_RUN)
    assert higher_cut.train(RESNET_RUN) == 1


def test_a_zero_cut_gives_every_job_the_params_of_a_build_before_the_cut_existed():
    every = job_threads(small_job_gflop=0)
    assert every.params(every.train)(VGG_RUN) == {"device": "auto", "threads": 2}
    assert every.train(RESNET_RUN) == 2


@pytest.mark.parametrize("compute", [{"small_job_gflop": 0}, {"threads": 1}])
def test_no_job_is_sized_when_every_job_gets_compute_threads(compute):
    # sizing builds and runs each network once when the workflow starts: skipped when pointless
    uniform = job_threads(**compute)
    assert uniform.train(VGG_RUN) == uniform.kernel(SimpleNamespace(
        dataset="mnist-5k", samples="classes", split="all", model="lenet", seed=42, kernel="ntk")) == uniform.threads
    assert uniform._networks == {}
