# Validation, the run plan (where every wildcard is looked up), wildcard constraints, parameter sets
# and input functions. Wildcards carry identity (ntkrepro.pipeline.paths); everything else reaches a
# job through its params, so an edit re-runs what it affects.
import os
import re
import sys
from pathlib import Path

try:
    import torch

    from ntkrepro import config as ntk_config
    from ntkrepro import data as ntk_data
    from ntkrepro import strict_yaml
    from ntkrepro import tasks as ntk_tasks
    from ntkrepro.errors import ConfigError
    from ntkrepro.papers import load_all as load_papers
    from ntkrepro import training
    from ntkrepro.pipeline import kernel_kinds, paths, resources
    from ntkrepro.pipeline.plan import Plan
    from ntkrepro.pipeline.requests import Run
    from ntkrepro.pipeline.threads import JobThreads
    from ntkrepro.provenance import source_digest
except ImportError as e:
    raise WorkflowError(
        f"the ntkrepro package is not importable here ({e}); run `pip install -e .` in the "
        "repository (or `make run`, which creates .venv)"
    )


def stop(error):
    """A configuration mistake is one line on stderr and exit status 1, not a crash of the workflow
    (a WorkflowError would be framed with this file's name, line and a traceback line).
    """
    print(error, file=sys.stderr)
    sys.exit(1)


try:
    for configfile in workflow.configfiles:
        strict_yaml.check_file(configfile)
    ntk_config.validate(
        config,
        ntk_config.load_schema(
            Path(workflow.current_basedir) / "../schemas/config.schema.yaml",
            PAPERS := load_papers(),
        ),
    )
    # a figure's own section is refused only when a target needs that figure: figure(wildcards)
    PLAN = Plan(config, PAPERS, strict=False)
    for name, spec in PLAN.datasets.items():
        ntk_data.check_source(spec, paths.DATA_SOURCE.format(dataset=name))
except ConfigError as e:
    stop(e)

# The θ0 kernels and spectra are the expensive outputs every checkout of a lab recomputes alike:
# with SNAKEMAKE_OUTPUT_CACHE set, they are eligible for Snakemake's between-workflow cache
# (`snakemake --cache kernel_init eigendecompose`), keyed by their inputs, params and code.
CACHE = "omit-software" if os.environ.get("SNAKEMAKE_OUTPUT_CACHE") else False
# Each numerical job computes with a thread count that follows from its size in the configuration
# (results depend neither on --cores nor on the load): `threads: JOBS.<kind>`, and the same number in
# `params: compute=JOBS.params(JOBS.<kind>)`. Snakemake schedules it on min(that, --cores) cores.
JOBS = JobThreads(PLAN, config["compute"])
# GPU rules hold the local GPU (profiles/default limits gpu to 1, so they never share it); with no
# GPU they hold nothing. profiles/slurm asks for a GPU per such job whatever the submit host has.
GPU = int(config["compute"]["device"] != "cpu" and torch.cuda.is_available())


def all_targets():
    """Every figure and scorecard of the enabled papers. For `--report`, those that exist: a report
    after building one figure shows that figure, instead of failing on the first missing one.
    """
    targets = PLAN.targets()
    if not any(a == "--report" or a.startswith("--report=") for a in sys.argv):
        return targets
    shown = [t for t in targets if Path(t).exists()]
    made = sum(Path(t).exists() for t in targets if t.endswith((".pdf", ".md")))
    wanted = sum(t.endswith((".pdf", ".md")) for t in targets)
    if made < wanted:
        print(
            f"report: {made} of {wanted} figures and scorecards of the enabled papers exist; the report "
            "shows those (`snakemake --cores all` builds the others)",
            file=sys.stderr,
        )
    return shown


def alternatives(names):
    return "|".join(map(re.escape, sorted(names, key=len, reverse=True)))


wildcard_constraints:
    dataset=alternatives(PLAN.datasets) + r"|gaussian\d+",
    model=alternatives(PLAN.models),
    recipe=alternatives(PLAN.recipes),
    seed=r"\d+",
    task=ntk_tasks.wildcard_pattern(),
    samples=ntk_tasks.wildcard_pattern(),
    split="all|train|test",
    form=r"network|linearized|unbiased-e\d+",
    kernel=alternatives(kernel_kinds.KINDS),
    others=rf"(?:{alternatives(kernel_kinds.KINDS)})(?:\+(?:{alternatives(kernel_kinds.KINDS)}))*",
    labels=ntk_tasks.wildcard_pattern(),
    state=paths.STATE,
    probe=alternatives(PLAN.probes) or "[^/]+",
    item=alternatives(f.item for f in PLAN.figures),
    scorecard=alternatives(PLAN.claims_item(p) for p in PLAN.papers),


def keep(path):
    """Trained checkpoints and Gram matrices are write-protected once made when `protect: true`."""
    return protected(path) if config["protect"] else path


if config["protect"] and os.geteuid() == 0:
    # Snakemake recognizes a protected file by os.access(W_OK), which is always true for root, so
    # as root it would replace read-only outputs: recognize them by their mode bits instead.
    from snakemake.io import _IOFile

    async def _read_only(self):
        return (
            await self.exists_local()
            and not os.path.islink(self.file)
            and not os.stat(self.file).st_mode & 0o222
        )

    _IOFile.protected = _read_only


def canonical(value):
    """Keys sorted at every level: params are compared by repr, so key order must not matter."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def code_version(script, *modules):
    """Digest of the library modules a job's script imports (and of ``modules``, for scripts that
    import one at run time), directly or through each other, so that editing any of them re-runs
    the jobs that run it, and only those."""
    return source_digest(Path(workflow.basedir) / "workflow/scripts" / script, *modules)


# ---- parameter sets ---------------------------------------------------------------------------


def dataset_params(wildcards):
    spec = PLAN.dataset_spec(wildcards.dataset)
    return canonical({k: v for k, v in spec.items() if k not in ("root", "download")})


def dataset_source(wildcards, input):
    # Where the files are read from does not change the data: a derived (input-taking) param is
    # not tracked by Snakemake, so moving a dataset copy does not re-run the workflow.
    spec = PLAN.dataset_spec(wildcards.dataset)
    return {"root": spec["root"], "download": spec["download"]}


def model_params(wildcards):
    return canonical(
        {
            **PLAN.model_spec(wildcards.model),
            "input_shape": list(PLAN.input_shape(wildcards.dataset)),
            "seed": int(wildcards.seed),
        }
    )


def run_of(wildcards):
    return Run(
        wildcards.dataset,
        wildcards.model,
        int(wildcards.seed),
        wildcards.task,
        wildcards.recipe,
        wildcards.form,
    )


def train_params(wildcards):
    return canonical(
        {
            **PLAN.recipes[wildcards.recipe],
            "seed": int(wildcards.seed),
            "checkpoints": PLAN.checkpoints(run_of(wildcards)),
        }
    )


def form_params(wildcards):
    form = wildcards.form
    if form == "network":
        return {"form": "network"}
    if form == "linearized":
        return canonical(
            {"form": "linearized", "offset": True, **config["linearization"]}
        )
    return canonical(
        {
            "form": "unbiased",
            "offset": False,
            "center_epoch": int(form.removeprefix("unbiased-e")),
            **config["linearization"],
        }
    )


# ---- inputs -----------------------------------------------------------------------------------


def task_file(wildcards):
    return paths.task(
        wildcards.dataset, wildcards.task, wildcards.model, int(wildcards.seed)
    )


def samples_task_file(wildcards):
    """The task file that selects a kernel's samples (none when they are the whole dataset)."""
    if not ntk_tasks.parse(wildcards.samples).selects_samples:
        return []
    return paths.task(
        wildcards.dataset, wildcards.samples, wildcards.model, int(wildcards.seed)
    )


def data_file(wildcards):
    """The inputs a run trains on: the prepared dataset, or a NAD task (which carries its own)."""
    if wildcards.dataset.startswith("gaussian"):
        return task_file(wildcards)
    return paths.DATA.format(dataset=wildcards.dataset)


def start_files(wildcards):
    """θ0 for networks and linearizations at θ0; the network's checkpoints for unbiased ones."""
    if wildcards.form.startswith("unbiased-e"):
        network = run_of(wildcards).with_form("network")
        return {"checkpoints": paths.CHECKPOINTS.format(**network.fields)}
    return {"theta0": paths.INIT.format(**wildcards)}


def state_of(wildcards):
    return PLAN.state(
        wildcards.dataset, wildcards.model, wildcards.seed, wildcards.state
    )


def state_files(wildcards):
    """The file of a network state: θ0, or the checkpoints of the run the state names."""
    state = state_of(wildcards)
    if state.run is None:
        return {"model": paths.INIT.format(**wildcards)}
    return {"checkpoints": paths.CHECKPOINTS.format(**state.run.fields)}


def state_model(wildcards, input):
    state = state_of(wildcards)
    if state.run is None:
        return input.model
    return f"{input.checkpoints}/{training.checkpoint_name(state.epoch)}"


def labels_file(wildcards):
    return paths.task(
        wildcards.dataset, wildcards.labels, wildcards.model, int(wildcards.seed)
    )


def kernel_kind(wildcards):
    return kernel_kinds.engine_options(wildcards.kernel)


def figure(wildcards):
    """The planned figure of {item}. Input functions call it as Snakemake builds the jobs a target
    needs, so a figure whose section was refused stops the run with that message only then.
    """
    try:
        return PLAN.figure(wildcards.item)
    except ConfigError as e:
        stop(e)


def figure_code(script):
    """The digest of the script and of the figure module it runs (imported by name at run time)."""
    return lambda w: code_version(script, figure(w).module.__name__)


def scorecard_figures(wildcards):
    return PLAN.paper_figures(PLAN.paper_of_claims(wildcards.scorecard))
