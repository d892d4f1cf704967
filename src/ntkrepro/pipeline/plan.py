"""The run plan: from the validated configuration, every enabled paper's figures, what each figure
asks for, and what that implies — the runs (each with the union of the checkpoint epochs asked of
it), the named specs of datasets, models and recipes (the configured ones and the variants figures
derive from them), and the targets. Rules look every wildcard up here; nothing here knows a figure."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from types import ModuleType

from .. import data, tasks
from ..errors import ConfigError
from ..ntk.probes import POOLINGS
from ..training import FINAL, Recipe
from . import paths
from .requests import Kernel, Run, State

GAUSSIAN = re.compile(r"gaussian(\d+)")
FORM = re.compile(r"network|linearized|unbiased-e(\d+)")


@dataclass
class PlannedFigure:
    paper: str
    key: str
    module: ModuleType
    item: str  # its path under figures/ without extension (the paper's folder, then the figure's key)
    inputs: dict[str, list[str]]
    labels: dict[str, list[dict]]
    params: dict
    title: str
    caption: str
    refusal: ConfigError | None = None  # why its section was refused (a plan that refuses when needed)

    @property
    def label(self) -> str:
        """How the scorecard names the figure: its number for a figure, its key for a table."""
        return self.key.removeprefix("fig")

    @property
    def markdown(self) -> bool:
        """Whether the item is also laid out as a Markdown table (its module defines ``markdown``)."""
        return callable(getattr(self.module, "markdown", None))


class Plan:
    def __init__(self, config: dict, papers: dict, *, strict: bool = True):
        """``papers``: the papers by key (``ntkrepro.papers.load_all()``), each with its figure modules.

        ``strict``: a figure whose configuration section its module refuses raises here. Otherwise the
        plan keeps it, refused (``figure(item)`` raises its message), and plans the others as if it were
        not configured: a build of other targets is not stopped by a figure it does not need.
        """
        self.config = config
        self.papers = {key: p for key, p in papers.items() if key in config and config[key].get("enabled", True)}
        refused: dict[str, ConfigError] = {}
        while True:  # again without the refused figures, so nothing they asked for before refusing remains
            before = len(refused)
            self._plan_figures(strict, refused)
            if len(refused) == before:
                break

    def _plan_figures(self, strict: bool, refused: dict[str, ConfigError]) -> None:
        config = self.config
        self.datasets = {config["dataset"]["name"]: config["dataset"], **config.get("datasets", {})}
        self.models = {name: dict(spec) for name, spec in config["models"].items()}
        self.recipes = {name: dict(spec) for name, spec in config["recipes"].items()}
        self._epochs: dict[Run, set] = {}
        self._states: dict[tuple, State] = {}  # (dataset, model, seed, state name) -> the checkpoint
        self.probes: dict[str, dict] = {}  # a {probe} name -> {"modules": [...], "pooling": ...}
        self.origins: dict[str, set[str]] = {}  # a task -> the config keys that asked for it
        self.figures: list[PlannedFigure] = []
        for key, paper in self.papers.items():
            for fig_key, module in paper.figures.items():
                section = config[key].get(fig_key)
                if section is None:
                    continue
                item = _item(paper, fig_key)
                if item not in refused:
                    try:
                        self.figures.append(self._plan_figure(paper, fig_key, module, section))
                        continue
                    except ConfigError as e:
                        if strict:
                            raise
                        refused[item] = e
                self.figures.append(PlannedFigure(paper.KEY, fig_key, module, item, {}, {}, {}, "", "", refused[item]))

    # ---- figures ----------------------------------------------------------------------------

    def _plan_figure(self, paper, fig_key: str, module: ModuleType, section: dict) -> PlannedFigure:
        ctx = Context(self, paper, fig_key, section)
        try:
            needs = module.needs(ctx)
            inputs = {name: [self.path(req) for _, req in items] for name, items in needs.inputs.items()}
        except ConfigError as e:
            if str(e).startswith("config"):  # it names its key already
                raise
            raise ConfigError(f"config section '{paper.KEY}.{fig_key}': {e}") from None
        labels = {name: [dict(lab) for lab, _ in items] for name, items in needs.inputs.items()}
        return PlannedFigure(paper.KEY, fig_key, module, _item(paper, fig_key), inputs, labels, needs.params,
                             module.title(ctx), module.caption(ctx))

    def figure(self, item: str) -> PlannedFigure:
        """The planned figure of ``item``; a refused one raises its configuration error."""
        figure = next(f for f in self.figures if f.item == item)
        if figure.refusal is not None:
            raise figure.refusal
        return figure

    def paper_figures(self, paper: str) -> list[PlannedFigure]:
        return [f for f in self.figures if f.paper == paper]

    def claims_item(self, paper: str) -> str:
        return f"{self.papers[paper].FOLDER}/claims".removeprefix("figures/")

    def paper_of_claims(self, item: str) -> str:
        return next(key for key in self.papers if self.claims_item(key) == item)

    def targets(self, paper: str | None = None) -> list[str]:
        keys = [paper] if paper else list(self.papers)
        out = []
        for key in keys:
            for f in self.paper_figures(key):
                out += [paths.FIGURE.format(item=f.item, ext=ext) for ext in ("pdf", "csv") + (("md",) if f.markdown else ())]
            out += [paths.FIGURE.format(item=self.claims_item(key), ext=ext) for ext in ("md", "csv")]
        return out

    # ---- requests -> paths ------------------------------------------------------------------

    def path(self, request) -> str:
        """The file a request names; records what runs, checkpoints and states it implies."""
        if not callable(getattr(request, "path", None)):
            raise TypeError(f"not a request: {request!r}")
        return request.path(self)

    def state(self, dataset: str, model: str, seed, name: str) -> State:
        """The network state a ``{state}`` wildcard names: θ0, or a checkpoint a request implied."""
        if name == paths.STATE_INIT:
            return State(dataset, model, int(seed))
        try:
            return self._states[(dataset, model, int(seed), name)]
        except KeyError:
            raise ConfigError(f"network state {name!r} of {model}-seed{seed} on {dataset}: no enabled figure "
                              "asks for it") from None

    def canonical(self, kernel: Kernel) -> Kernel:
        """The one file a kernel is kept in: a run's state at epoch 0 is θ0's (for runs that start
        there), and ``final`` is the last epoch of a fixed-length recipe."""
        s = kernel.state
        if s.run is None:
            return kernel
        epoch = s.epoch
        recipe = self.recipe(s.run.recipe)
        if epoch == FINAL and recipe.until_loss is None:
            epoch = recipe.epochs
        if epoch == 0 and s.run.form in ("network", "linearized"):
            return Kernel(State(s.dataset, s.model, s.seed), kernel.samples, kernel.split, kernel.kind)
        self.need_run(s.run, epoch)
        state = State(s.dataset, s.model, s.seed, s.run, epoch)
        self._states[(s.dataset, s.model, s.seed, state.name)] = state
        return Kernel(state, kernel.samples, kernel.split, kernel.kind)

    def probe(self, modules, pooling: str) -> str:
        """The name of a set of probed modules with their pooling (the ``{probe}`` wildcard), recorded."""
        modules = list(modules)
        if not modules or len(set(modules)) != len(modules) or not all(isinstance(m, str) and m for m in modules):
            raise ConfigError(f"probed modules must be distinct non-empty module names; got {modules!r}")
        if pooling not in POOLINGS:
            raise ConfigError(f"unknown pooling {pooling!r} of probed modules ({' | '.join(POOLINGS)})")
        spec = {"modules": modules, "pooling": pooling}
        digest = hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:10]
        name = f"{pooling}-{len(modules)}-{digest}"
        self.probes[name] = spec
        return name

    def need_run(self, run: Run, epoch=None) -> None:
        """Record that ``run`` is trained (keeping its parameters after ``epoch``)."""
        epochs = self._epochs.setdefault(run, set())
        if epoch is not None:
            epochs.add(epoch)
        self._check_run(run)
        center = FORM.fullmatch(run.form)[1]
        if center is not None:  # an unbiased linearization starts from the network's checkpoint
            self.need_run(run.with_form("network"), int(center))

    def _check_run(self, run: Run) -> None:
        if run.dataset not in self.datasets and not GAUSSIAN.fullmatch(run.dataset):
            raise ConfigError(f"run on dataset {run.dataset!r}: not a configured dataset ({', '.join(self.datasets)})")
        spec = self.model_spec(run.model)
        classes = 2 if GAUSSIAN.fullmatch(run.dataset) else data.num_classes(self.datasets[run.dataset])
        want = tasks.outputs(run.task, classes)
        have = spec["options"].get("outputs", 1)
        if want != have:
            raise ConfigError(f"model {run.model!r} has {have} output(s) but task {run.task!r} needs {want}")
        recipe = self.recipe(run.recipe)
        numbered = [e for e in self._epochs.get(run, ()) if e not in (0, FINAL)]
        if recipe.until_loss is not None and numbered:
            raise ConfigError(f"recipe {run.recipe!r} stops at a training loss, so its runs keep no checkpoint "
                              f"but 0 and final (asked: {sorted(numbered)})")

    def checkpoints(self, run: Run) -> list:
        """Epochs whose parameters a run keeps: the start, the end, and every epoch a figure asks for."""
        recipe = self.recipe(run.recipe)
        end = FINAL if recipe.until_loss is not None else recipe.epochs
        asked = self._epochs.get(run, set()) | {0, end}
        return sorted(e for e in asked if e != FINAL) + ([FINAL] if FINAL in asked else [])

    # ---- named specs ------------------------------------------------------------------------

    def dataset_spec(self, name: str) -> dict:
        return self.datasets[name]

    def input_shape(self, dataset: str) -> tuple[int, int, int]:
        m = GAUSSIAN.fullmatch(dataset)
        if m:
            return (1, int(m[1]), int(m[1]))
        return data.input_shape(self.datasets[dataset])

    def sizes(self, dataset: str) -> tuple[int, int]:
        spec = self.datasets[dataset]
        return (spec["n_train"], spec["n_test"]) if GAUSSIAN.fullmatch(dataset) else data.split_sizes(spec)

    def sample_count(self, dataset: str, samples: str, split: str) -> int:
        """The number of samples of a kernel (at most that, for tasks that keep a class pair)."""
        n_train, n_test = self.sizes(dataset)
        task = tasks.parse(samples)
        if task.subset is not None:
            n_train = task.subset
        return {"train": n_train, "test": n_test, "all": n_train + n_test}[split]

    def scale(self, paper: str) -> str:
        """The paper's scale line (dataset, sizes, epochs) for its scorecard."""
        module = self.papers[paper]
        return module.scale(Context(self, module, "", {}))

    def model_spec(self, name: str) -> dict:
        """{arch, options, init} of a model name (configured, or a variant a figure derived)."""
        if name not in self.models:
            raise ConfigError(f"model {name!r} is not defined under models ({', '.join(self.models)})")
        spec = dict(self.models[name])
        arch = spec.pop("arch")
        init = spec.pop("init", None) or self.config["init"]["scheme"]
        return {"arch": arch, "options": spec, "init": init}

    def recipe(self, name: str) -> Recipe:
        if name not in self.recipes:
            raise ConfigError(f"recipe {name!r} is not defined under recipes ({', '.join(self.recipes)})")
        return Recipe(**self.recipes[name])

    def register(self, kind: str, base: str, overrides: dict) -> str:
        """The name of ``base`` (a model or recipe name) with ``overrides``; registered once."""
        table = {"model": self.models, "recipe": self.recipes}[kind]
        if base not in table:
            raise ConfigError(f"{kind} {base!r} is not defined under {kind}s ({', '.join(table)})")
        if not overrides:
            return base
        name = base + "".join(f"-{k.replace('_', '')}{_compact(v)}" for k, v in sorted(overrides.items()))
        spec = {**table[base], **overrides}
        if table.setdefault(name, spec) != spec:
            raise ConfigError(f"{kind} {name!r} is defined twice, differently: {table[name]} and {spec}")
        return name

    def register_dataset(self, name: str, spec: dict) -> str:
        if self.datasets.setdefault(name, spec) != spec:
            raise ConfigError(f"dataset {name!r} is defined twice, differently: {self.datasets[name]} and {spec}")
        return name

    def runs(self) -> list[Run]:
        """Every training run the enabled figures need (each once, with the union of their epochs)."""
        return list(self._epochs)


def _item(paper: ModuleType, fig_key: str) -> str:
    """A figure's path under figures/ without extension: the paper's folder, then the figure's key."""
    return f"{paper.FOLDER}/{fig_key}".removeprefix("figures/").removeprefix("figures").lstrip("/")


def _compact(value) -> str:
    return str(value).lower() if not isinstance(value, float) else f"{value:g}"


class Context:
    """What a figure module sees when it declares its needs: its config section, its paper's, and
    helpers that build requests with the paper's defaults (dataset, seed, recipe)."""

    def __init__(self, plan: Plan, paper: ModuleType, key: str, section: dict):
        self.plan = plan
        self.config = plan.config
        self.paper = plan.config[paper.KEY]
        self.paper_key = paper.KEY
        self.key = key
        self.section = section
        self.dataset = self.paper.get("dataset") or plan.config["dataset"]["name"]
        self.seed = self.paper.get("seed", plan.config["seed"])

    def sizes(self, dataset: str | None = None) -> tuple[int, int]:
        return self.plan.sizes(dataset or self.dataset)

    def recipe(self, name: str | None = None) -> Recipe:
        return self.plan.recipe(name or self.paper["recipe"])

    def run(self, task: str, model: str, *, form: str = "network", recipe: str | None = None,
            seed: int | None = None, dataset: str | None = None) -> Run:
        return Run(dataset or self.dataset, model, self.seed if seed is None else seed, task,
                   recipe or self.paper["recipe"], form)

    def state(self, model: str, *, run: Run | None = None, epoch=0, seed: int | None = None,
              dataset: str | None = None) -> State:
        if run is not None:
            return State(run.dataset, run.model, run.seed, run, epoch)
        return State(dataset or self.dataset, model, self.seed if seed is None else seed)

    def model_variant(self, base: str, **options) -> str:
        return self.plan.register("model", base, options)

    def recipe_variant(self, base: str | None = None, **fields) -> str:
        return self.plan.register("recipe", base or self.paper["recipe"], fields)

    def origin(self, task: str, key: str) -> str:
        """Record that this figure's config ``key`` asks for ``task`` (messages about the task name it)."""
        self.plan.origins.setdefault(task, set()).add(f"{self.paper_key}.{self.key}.{key}")
        return task

    def dataset_variant(self, name: str, spec: dict) -> str:
        return self.plan.register_dataset(name, spec)
