"""Where every intermediate and figure lives: the one home of the path templates, used by the rules,
the run plan and the tests. Wildcards carry identity; everything else reaches a rule through params.

{dataset}  a name under the run plan's datasets (the configured dataset(s), gaussian<size> NAD inputs)
{model}    a name under the plan's models;  {seed}: an integer;  {recipe}: a name under its recipes
{task}     a task name (ntkrepro.tasks);    {form}: network | linearized | unbiased-e<epoch>
{samples}  the task whose samples a kernel is on (``classes``: the whole dataset); {split}: all | train | test
{kernel}   a kind of kernel (ntkrepro.pipeline.kernel_kinds);    {epoch}: an integer, or ``final``
{probe}    a set of probed modules and their pooling (``Plan.probes``), whose layer kernels share a file
{state}    ``init`` (θ0), or ``{task}/{recipe}/{form}/epoch{epoch}`` (a run's checkpoint); the run plan
           records which state each names (``Plan.state``), so no path is parsed back into fields
"""

from __future__ import annotations

from .. import tasks

DATA = "results/data/{dataset}.pt"
DATA_SOURCE = "results/data/{dataset}.source.json"  # which raw files DATA was prepared from
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
# A network state, spelled one way everywhere: θ0, or a run's parameters after an epoch.
STATE_INIT = "init"
STATE_RUN = "{task}/{recipe}/{form}/epoch{epoch}"
STATE_RUN_WILDCARD = r"[^/]+/[^/]+/[^/]+/epoch[^/]+"
STATE = STATE_INIT + "|" + STATE_RUN_WILDCARD  # the {state} wildcard: either of the two
ON_STATE = SAMPLES + "/{state}/{kernel}"  # a kernel of a state on samples, and what is derived from it
KERNEL = "results/kernels/" + ON_STATE + ".h5"
SPECTRUM = "results/spectra/" + ON_STATE + ".h5"
ALIGNMENT = "results/alignment/" + ON_STATE + ".csv"
EIGENVALUES = "results/eigenvalues/" + ON_STATE + ".csv"
REGRESSION = "results/regression/" + ON_STATE + "/{labels}.csv"
LAYER_KERNELS = "results/layer-kernels/" + SAMPLES + "/{state}/{probe}.h5"
LAYER_KERNELS_LOG = "logs/layer_kernels/" + SAMPLES + "/{state}/{probe}.log"
EVALUATION = "results/evaluation/" + ON_STATE + "/{labels}~{others}.csv"
OUTPUTS = "results/outputs/" + SAMPLES + "/{state}.pt"  # a state's outputs f(x) on the samples
OUTPUTS_LOG = "logs/outputs/" + SAMPLES + "/{state}.log"
NADS = "results/nads/{dataset}/{model}-seed{seed}.h5"
FIGURE = "figures/{item}.{ext}"


def log(rule: str, within: str | None = None) -> str:
    """The log of a ``rule``'s job on a kernel of a state, under logs/ (``within``: a name below it)."""
    return f"logs/{rule}/{ON_STATE}" + (f"/{within}" if within else "") + ".log"


def task(dataset: str, task_name: str, model: str, seed: int) -> str:
    return TASK[tasks.parse(task_name).scope].format(dataset=dataset, task=task_name, model=model, seed=seed)


def fill(template: str, **fields) -> str:
    """``template`` with ``fields`` filled in and every other wildcard left for Snakemake."""
    return template.format_map(_Unfilled(fields))


class _Unfilled(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
