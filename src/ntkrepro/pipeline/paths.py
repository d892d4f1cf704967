"""Where every intermediate and figure lives: the one home of the path templates, used by the rules,
the run plan and the tests. Wildcards carry identity; everything else reaches a rule through params.

{dataset}  a name under the run plan's datasets (the configured dataset(s), gaussian<size> NAD inputs)
{model}    a name under the plan's models;  {seed}: an integer;  {recipe}: a name under its recipes
{task}     a task name (ntkrepro.tasks);    {form}: network | linearized | unbiased-e<epoch>
{samples}  the task whose samples a kernel is on (``classes``: the whole dataset); {split}: all | train | test
{kernel}   the kind of kernel (KERNELS);    {epoch}: an integer, or ``final``
{state}    ``init`` (θ0), or ``{task}/{recipe}/{form}/epoch{epoch}`` (a run's checkpoint)
"""

from __future__ import annotations

from .. import tasks

DATA = "results/data/{dataset}.pt"
INIT = "results/init/{dataset}/{model}-seed{seed}.pt"
TASK = {
    tasks.DATA: "results/tasks/{dataset}/{task}.pt",
    tasks.SEED: "results/tasks/{dataset}/seed{seed}/{task}.pt",
    tasks.INIT: "results/tasks/{dataset}/{model}-seed{seed}/{task}.pt",
}
RUN = "results/runs/{dataset}/{model}-seed{seed}/{task}/{recipe}/{form}"
CHECKPOINTS = RUN + "/checkpoints"
METRICS = RUN + "/metrics.csv"
STEPS = RUN + "/steps.csv"
# Undeclared, so it survives a failed or killed job (Snakemake removes a failed job's outputs).
RESUME = RUN + "/resume"
SAMPLES = "{dataset}/{samples}/{split}/{model}-seed{seed}"
KERNEL_INIT = "results/kernels/" + SAMPLES + "/init/{kernel}.h5"
KERNEL_RUN = "results/kernels/" + SAMPLES + "/{task}/{recipe}/{form}/epoch{epoch}/{kernel}.h5"
NADS = "results/nads/{dataset}/{model}-seed{seed}.h5"
FIGURE = "figures/{item}.{ext}"

# The kernels a {kernel} wildcard names: the engine's kind and output mode (ntkrepro.ntk.kernel)
KERNELS = {
    "ntk": ("ntk", "scalar"),
    "ntk-full": ("ntk", "full"),
    "ntk-trace": ("ntk", "trace"),
    "conjugate": ("conjugate", "scalar"),
    "output": ("output", "scalar"),
}
STATE = r"init|[^/]+/[^/]+/[^/]+/epoch[^/]+"


def state_parts(state: str) -> tuple[str, str, str, str]:
    """(task, recipe, form, epoch) of a run's checkpoint named by a {state} wildcard."""
    task, recipe, form, epoch = state.split("/")
    return task, recipe, form, epoch.removeprefix("epoch")


def derived(kernel: str, folder: str, suffix: str = ".csv") -> str:
    """A result computed from the kernel file (or the state and samples) ``kernel`` names, under ``folder``."""
    return kernel.replace("results/kernels/", f"results/{folder}/", 1).removesuffix(".h5") + suffix


def spectrum(kernel: str) -> str:
    """The top eigenpairs of the kernel file ``kernel``."""
    return derived(kernel, "spectra", ".h5")


def alignment(kernel: str) -> str:
    """α(φ_j) of the kernel file ``kernel`` with the eigenfunctions of θ0's kernel on the same samples."""
    return derived(kernel, "alignment")


def task(dataset: str, task_name: str, model: str, seed: int) -> str:
    return TASK[tasks.parse(task_name).scope].format(dataset=dataset, task=task_name, model=model, seed=seed)
