# Configuration checks, path helpers and the per-rule parameter sets.
import hashlib
import re
from pathlib import Path

try:
    import ntkrepro
    from ntkrepro import config as ntk_config
    from ntkrepro.data import input_shape
except ImportError as e:
    raise WorkflowError(
        f"the ntkrepro package is not importable here ({e}); run `pip install -e .` in the "
        "repository (or `make run`, which creates .venv)"
    )


try:
    ntk_config.validate(
        config,
        ntk_config.load_schema(Path(workflow.current_basedir) / "../schemas/config.schema.yaml"),
    )
except ntk_config.ConfigError as e:
    raise WorkflowError(str(e))


DATASET = config["dataset"]["name"]
SEED = config["seed"]
N_TRAIN, N_TEST = ntk_config.sample_counts(config["dataset"])
EPOCHS = config["train"]["epochs"]
FIG7 = config["fig7"]

FIGURES = ["figures/fig7.pdf", "figures/fig7.csv"]
# Numerical jobs always compute with this many threads (results do not depend on --cores);
# Snakemake schedules them as using min(THREADS, --cores) cores.
THREADS = config["compute"]["threads"]


wildcard_constraints:
    dataset=re.escape(DATASET),
    arch="mlp|lenet|resnet18",
    seed=r"\d+",
    samples="all|train",
    task=r"[a-z0-9]+",
    kind="network",
    epoch=r"\d+",


def canonical(value):
    """Keys sorted at every level: params are compared by repr, so key order must not matter."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def code_version(*modules):
    """Digest of the library modules a rule runs, so that editing them re-runs the rule."""
    root = Path(ntkrepro.__file__).parent
    h = hashlib.blake2b(digest_size=8)
    for name in modules:
        path = root / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for f in files:
            h.update(f.read_bytes())
    return h.hexdigest()


def dataset_source(wildcards, input):
    # Where the files are read from does not change the data: a derived (input-taking) param is
    # not tracked by Snakemake, so moving a dataset copy does not re-run the workflow.
    return {"root": config["dataset"]["root"], "download": config["dataset"]["download"]}


def dataset_params():
    return canonical({k: v for k, v in config["dataset"].items() if k not in ("root", "download")})


def arch_params(wildcards):
    return canonical(
        {
            "arch": wildcards.arch,
            "options": config["architectures"][wildcards.arch],
            "input_shape": list(input_shape(config["dataset"])),
            "scheme": config["init"]["scheme"],
            "seed": int(wildcards.seed),
        }
    )


def train_params(wildcards):
    return canonical({**config["train"], "seed": SEED, "checkpoints": checkpoint_epochs(wildcards)})


def checkpoint_epochs(wildcards):
    """Epochs whose parameters a run keeps: the start and the end."""
    return sorted({0, EPOCHS})


def task_file(wildcards):
    if wildcards.task.startswith("eigenfunction"):
        return f"results/tasks/{wildcards.dataset}/{wildcards.arch}-seed{wildcards.seed}/{wildcards.task}.pt"
    raise WorkflowError(f"unknown task {wildcards.task!r}")


def run_dir(wildcards):
    return f"results/runs/{wildcards.dataset}/{wildcards.arch}-seed{wildcards.seed}/{wildcards.task}/{wildcards.kind}"


def checkpoint_file(wildcards, input):
    return f"{input.checkpoints}/epoch{wildcards.epoch}.pt"


def resume_dir(wildcards, output):
    return str(Path(output.metrics).parent / "resume")


def kernel_file(dataset, samples, arch, seed, task, kind, epoch):
    """The Gram matrix of a run at an epoch; epoch 0 of a network run is θ0's kernel, computed once."""
    model = f"results/kernels/{dataset}/{samples}/{arch}-seed{seed}"
    if int(epoch) == 0:
        return f"{model}/init.h5"
    return f"{model}/{task}/{kind}/epoch{epoch}.h5"


def alignment_epochs(wildcards):
    return [0, EPOCHS]


def alignment_kernels(wildcards):
    return [
        kernel_file(wildcards.dataset, "all", wildcards.arch, wildcards.seed, wildcards.task, wildcards.kind, e)
        for e in alignment_epochs(wildcards)
    ]


def compute_params():
    return canonical(config["compute"])


def kernel_params():
    return canonical(config["kernel"])


def spectrum_params():
    return canonical(config["spectrum"])


def fig7_alignment():
    return f"results/metrics/{DATASET}/{FIG7['arch']}-seed{SEED}/eigenfunction{FIG7['target']}/network/alignment.csv"
