# Configuration checks, path helpers and the parameter sets each rule receives.
#
# Wildcards carry identity: {dataset} (the configured dataset, or gaussian{size} for the NAD
# tasks), {model} (a name under `models:`), {seed}, {task} (eigenfunction{j}, cifar2,
# cifar2-n{size}, nad{j}), {kind} (network, linearized, unbiased-e{epoch}), {samples} (all, train)
# and {epoch}. Everything else reaches the rules through params:, so an edit re-runs what it affects.
import re
from pathlib import Path

try:
    import torch

    from ntkrepro import config as ntk_config
    from ntkrepro.data import input_shape as dataset_shape
    from ntkrepro.provenance import source_digest
except ImportError as e:
    raise WorkflowError(
        f"the ntkrepro package is not importable here ({e}); run `pip install -e .` in the "
        "repository (or `make run`, which creates .venv)"
    )


try:
    ntk_config.validate(
        config,
        ntk_config.load_schema(
            Path(workflow.current_basedir) / "../schemas/config.schema.yaml"
        ),
    )
except ntk_config.ConfigError as e:
    raise WorkflowError(str(e))


DATASET = config["dataset"]["name"]
SEED = config["seed"]
N_TRAIN, N_TEST = ntk_config.sample_counts(config["dataset"])
EPOCHS = config["train"]["epochs"]
# Numerical jobs always compute with this many threads (results do not depend on --cores);
# Snakemake schedules them as using min(THREADS, --cores) cores.
THREADS = config["compute"]["threads"]
# GPU rules hold the local GPU (profiles/default limits gpu to 1, so they never share it); with no
# GPU they hold nothing. profiles/slurm asks for a GPU per such job whatever the submit host has.
GPU = int(config["compute"]["device"] != "cpu" and torch.cuda.is_available())
FIGURE_NUMBERS = [n for n in "23456789" if f"fig{n}" in config]
FIGURES = [f"figures/fig{n}.{ext}" for n in FIGURE_NUMBERS for ext in ("pdf", "csv")]
CLAIMS = ["figures/claims.md", "figures/claims.csv"]


wildcard_constraints:
    dataset=rf"{re.escape(DATASET)}|gaussian\d+",
    model="|".join(map(re.escape, config["models"])),
    seed=r"\d+",
    samples="all|train",
    task=r"eigenfunction\d+|cifar2|cifar2-n\d+|nad\d+",
    kind=r"network|linearized|unbiased-e\d+",
    epoch=r"\d+",
    index=r"\d+",
    size=r"\d+",


def keep(path):
    """Trained checkpoints and Gram matrices are write-protected once made when `protect: true`."""
    return protected(path) if config["protect"] else path


def canonical(value):
    """Keys sorted at every level: params are compared by repr, so key order must not matter."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def code_version(script):
    """Digest of the library modules a rule's script imports, directly or through each other, so
    that editing any of them re-runs the rules that run it (and only those)."""
    return source_digest(Path(workflow.basedir) / "workflow/scripts" / script)


# ---- parameter sets ---------------------------------------------------------------------------


def dataset_params():
    return canonical(
        {k: v for k, v in config["dataset"].items() if k not in ("root", "download")}
    )


def dataset_source(wildcards, input):
    # Where the files are read from does not change the data: a derived (input-taking) param is
    # not tracked by Snakemake, so moving a dataset copy does not re-run the workflow.
    return {
        "root": config["dataset"]["root"],
        "download": config["dataset"]["download"],
    }


def input_shape(dataset):
    if dataset.startswith("gaussian"):
        size = int(dataset.removeprefix("gaussian"))
        return [1, size, size]
    return list(dataset_shape(config["dataset"]))


def model_params(wildcards):
    spec = dict(config["models"][wildcards.model])
    return canonical(
        {
            "arch": spec.pop("arch"),
            "options": spec,
            "input_shape": input_shape(wildcards.dataset),
            "scheme": config["init"]["scheme"],
            "seed": int(wildcards.seed),
        }
    )


def compute_params():
    return canonical(config["compute"])


def kernel_params():
    return canonical(config["kernel"])


def spectrum_params():
    return canonical(config["spectrum"])


def train_params(wildcards):
    return canonical(
        {
            **config["train"],
            "seed": int(wildcards.seed),
            "checkpoints": checkpoint_epochs(wildcards),
        }
    )


def linearization_params(wildcards):
    kind = wildcards.kind
    if kind == "network":
        return {"kind": "network"}
    if kind == "linearized":
        return {"kind": "linearized", "offset": True}
    return canonical(
        {
            "kind": "unbiased",
            "offset": False,
            "center_epoch": int(kind.removeprefix("unbiased-e")),
            **config["linearization"],
        }
    )


def fig4_task_params():
    f4 = config["fig4"]
    return canonical({k: f4[k] for k in ("n_train", "n_test", "epsilon", "sigma")})


# ---- tasks and runs ---------------------------------------------------------------------------


def fig6_task():
    n = config["fig6"]["n_train"] if "fig6" in config else None
    return "cifar2" if n is None else f"cifar2-n{n}"


def checkpoint_epochs(wildcards):
    """Epochs whose parameters a run keeps: the start, the end, and what Figures 6 and 9 need."""
    epochs = {0, EPOCHS}
    if wildcards.kind == "network":
        f6, f9 = config.get("fig6"), config.get("fig9")
        if f6 and wildcards.model == f6["model"] and wildcards.task == fig6_task():
            epochs |= set(f6["epochs"])
        if (
            f9
            and wildcards.model == f9["model"]
            and wildcards.task == f"eigenfunction{f9['target']}"
        ):
            epochs |= set(f9["epochs"])
    return sorted(epochs)


def task_file(wildcards):
    task, dataset = wildcards.task, wildcards.dataset
    if task == "cifar2":
        return f"results/tasks/{dataset}/cifar2.pt"
    if task.startswith("cifar2-n"):
        return f"results/tasks/{dataset}/seed{wildcards.seed}/{task}.pt"
    return f"results/tasks/{dataset}/{wildcards.model}-seed{wildcards.seed}/{task}.pt"


def data_file(wildcards):
    """The inputs a run trains on: the prepared dataset, or a NAD task (which carries its own)."""
    if wildcards.dataset.startswith("gaussian"):
        return task_file(wildcards)
    return f"results/data/{wildcards.dataset}.pt"


def run_dir(dataset, model, seed, task, kind):
    return f"results/runs/{dataset}/{model}-seed{seed}/{task}/{kind}"


def start_files(wildcards):
    """θ0 for networks and linearizations at θ0; the network's checkpoints for unbiased ones."""
    if wildcards.kind.startswith("unbiased-e"):
        network = run_dir(
            wildcards.dataset,
            wildcards.model,
            wildcards.seed,
            wildcards.task,
            "network",
        )
        return {"checkpoints": f"{network}/checkpoints"}
    return {
        "theta0": f"results/init/{wildcards.dataset}/{wildcards.model}-seed{wildcards.seed}.pt"
    }


def checkpoint_file(wildcards, input):
    return f"{input.checkpoints}/epoch{wildcards.epoch}.pt"


def resume_dir(wildcards, output):
    return str(Path(output.metrics).parent / "resume")


def kernel_file(dataset, samples, model, seed, task, kind, epoch):
    """The Gram matrix of a run at an epoch; epoch 0 on all samples is θ0's kernel, computed once."""
    base = f"results/kernels/{dataset}/{samples}/{model}-seed{seed}"
    if int(epoch) == 0 and samples == "all" and kind in ("network", "linearized"):
        return f"{base}/init.h5"
    return f"{base}/{task}/{kind}/epoch{epoch}.h5"


def spectrum_file(kernel):
    return kernel.replace("results/kernels/", "results/spectra/", 1)


def metrics_file(dataset, model, seed, task, kind):
    return f"{run_dir(dataset, model, seed, task, kind)}/metrics.csv"


# ---- figure inputs ----------------------------------------------------------------------------


def alignment_epochs(wildcards):
    return [0, EPOCHS]


def alignment_kernels(wildcards):
    return [
        kernel_file(
            wildcards.dataset,
            "all",
            wildcards.model,
            wildcards.seed,
            wildcards.task,
            wildcards.kind,
            e,
        )
        for e in alignment_epochs(wildcards)
    ]


def fig6_task_file():
    task = fig6_task()
    return (
        f"results/tasks/{DATASET}/cifar2.pt"
        if task == "cifar2"
        else f"results/tasks/{DATASET}/seed{SEED}/{task}.pt"
    )


def fig6_spectra():
    f6 = config["fig6"]
    return [
        spectrum_file(
            kernel_file(DATASET, "train", f6["model"], SEED, fig6_task(), "network", e)
        )
        for e in sorted(f6["epochs"])
    ]


def fig2_runs():
    runs = []
    for model in config["fig2"]["models"]:
        for kind in ("network", "linearized"):
            for j in config["fig2"]["eigenfunctions"]:
                runs.append(
                    {"model": model, "kind": kind, "task": "eigenfunction", "index": j}
                )
            runs.append({"model": model, "kind": kind, "task": "cifar2", "index": 0})
    return runs


def run_task(run):
    return (
        f"eigenfunction{run['index']}"
        if run["task"] == "eigenfunction"
        else run["task"]
    )


def fig2_metrics():
    return [
        metrics_file(DATASET, r["model"], SEED, run_task(r), r["kind"])
        for r in fig2_runs()
    ]


def fig3_runs(kind):
    f3 = config["fig3"]
    return [
        str(
            Path(run_dir(DATASET, f3["model"], SEED, f"eigenfunction{j}", "network"))
            / f"{kind}.csv"
        )
        for j in f3["eigenfunctions"]
    ]


def fig4_runs():
    f4 = config["fig4"]
    return [
        {"model": model, "kind": kind, "index": j}
        for model in f4["models"]
        for kind in ("network", "linearized")
        for j in f4["nads"]
    ]


def fig4_metrics():
    dataset = f"gaussian{config['fig4']['size']}"
    return [
        metrics_file(dataset, r["model"], SEED, f"nad{r['index']}", r["kind"])
        for r in fig4_runs()
    ]


def fig4_nads():
    return [
        f"results/nads/gaussian{config['fig4']['size']}/{model}-seed{SEED}.h5"
        for model in config["fig4"]["models"]
    ]


def fig5_runs():
    f5 = config["fig5"]
    return [
        {"model": model, "kind": kind, "size": n, "seed": seed}
        for model in f5["models"]
        for kind in ("network", "linearized")
        for n in f5["sizes"]
        for seed in f5["seeds"]
    ]


def fig5_metrics():
    return [
        metrics_file(DATASET, r["model"], r["seed"], f"cifar2-n{r['size']}", r["kind"])
        for r in fig5_runs()
    ]


def fig7_alignment():
    f7 = config["fig7"]
    return f"results/metrics/{DATASET}/{f7['model']}-seed{SEED}/eigenfunction{f7['target']}/network/alignment.csv"


def fig8_runs():
    f8 = config["fig8"]
    task = f"eigenfunction{f8['target']}"
    names = {
        "network": "network",
        "unbiased-e0": "linearized at θ0",
        f"unbiased-e{EPOCHS}": "linearized at θ*",
    }
    return [
        (name, metrics_file(DATASET, f8["model"], SEED, task, kind))
        for kind, name in names.items()
    ]


def fig9_runs():
    f9 = config["fig9"]
    task = f"eigenfunction{f9['target']}"
    runs = [
        (
            {"kind": "linearized", "pretraining_epochs": e},
            metrics_file(DATASET, f9["model"], SEED, task, f"unbiased-e{e}"),
        )
        for e in sorted(f9["epochs"])
    ]
    runs.append(
        (
            {"kind": "network", "pretraining_epochs": EPOCHS},
            metrics_file(DATASET, f9["model"], SEED, task, "network"),
        )
    )
    return runs


# ---- resources (memory from the problem size; used by cluster executors) --------------------


def kernel_samples(kernel):
    """Number of samples of a kernel "{dataset}/{samples}/...": all, or a run's training samples."""
    if Path(kernel).parts[1] == "all":
        return N_TRAIN + N_TEST
    subset = re.search(r"/cifar2-n(\d+)/", kernel)
    return int(subset.group(1)) if subset else N_TRAIN


def eigendecompose_mem_mb(wildcards):
    m = kernel_samples(wildcards.kernel)
    k = min(config["spectrum"]["k"], m)
    return int(1.15 * (8 * m * m + 16 * m * k) / 2**20) + 2048


def alignment_mem_mb(wildcards):
    m, k = N_TRAIN + N_TEST, config["spectrum"]["k"]
    return int((16 * m * k + 8 * 2048 * m) / 2**20) + 2048


def data_mem_mb():
    c, h, w = dataset_shape(config["dataset"])
    return int(4 * 8 * (N_TRAIN + N_TEST) * c * h * w / 2**20) + 2048


def train_mem_mb():
    c, h, w = dataset_shape(config["dataset"])
    return int(3 * 4 * (N_TRAIN + N_TEST) * c * h * w / 2**20) + 4096


GRAM_MEM_MB = 8192 + int(1024 * (config["kernel"]["memory_gb"] or 0))


def figure_title(n):
    """The title of Figure n: what it shows and at which scale."""
    if n == "2":
        return f"Networks and linearizations on sign(φ_j) and CIFAR2 ({scale_text()})"
    if n == "3":
        return f"{config['fig3']['model']} on sign(φ_j) ({scale_text()})"
    if n == "4":
        f4 = config["fig4"]
        return (
            f"Linearly separable tasks along NADs ({f4['size']}x{f4['size']} Gaussian inputs, "
            f"{f4['n_train']:,} training samples, {EPOCHS} epochs)"
        )
    if n == "5":
        return f"CIFAR2 (classes 0-4 vs 5-9) of {DATASET}, {len(config['fig5']['seeds'])} seeds, {EPOCHS} epochs"
    if n == "6":
        f6 = config["fig6"]
        return (
            f"{f6['model']}: CIFAR2 labels of {(f6['n_train'] or N_TRAIN):,} training samples of {DATASET} "
            f"on the top {f6['k']} eigenvectors of Θ_t"
        )
    if n == "7":
        f7 = config["fig7"]
        return (
            f"{f7['model']} on {DATASET} ({N_TRAIN + N_TEST:,} samples, K = {config['spectrum']['k']:,} "
            f"eigenfunctions of the NTK at θ0)\ntrained {EPOCHS} epochs on sign(φ_{f7['target']})"
        )
    if n == "8":
        return f"{config['fig8']['model']} on sign(φ_{config['fig8']['target']}) ({scale_text()})"
    return f"{config['fig9']['model']}: linearizations around θ_e on sign(φ_{config['fig9']['target']}) ({scale_text()})"


def scale_text():
    return (
        f"{DATASET}, {N_TRAIN:,} training + {N_TEST:,} test samples, {EPOCHS} epochs, "
        f"K = {config['spectrum']['k']:,}"
    )
