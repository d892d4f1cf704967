"""What a figure can ask for: runs, network states, kernels, a state's outputs, spectra, alignments,
NADs and task files. Each request names its own file (``path(plan)``, from the templates of ``paths``; ``plan`` is the
``Plan`` asking, imported by neither so that a figure module's digest stays its own); the run plan
canonicalizes kernels, records the runs, checkpoint epochs and network states the requests imply,
and derives the jobs from all the requests of all enabled figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from . import kernel_kinds, paths


@dataclass(frozen=True)
class Run:
    """A training run: a network or one of its linearizations, trained with a recipe on a task."""

    dataset: str
    model: str
    seed: int
    task: str
    recipe: str
    form: str = "network"  # network | linearized (at θ0) | unbiased-e<e> (around the network's epoch e)

    @property
    def fields(self) -> dict:
        """The run's path wildcards."""
        return {"dataset": self.dataset, "model": self.model, "seed": self.seed, "task": self.task,
                "recipe": self.recipe, "form": self.form}

    def with_form(self, form: str) -> "Run":
        """The same run trained in another form."""
        return Run(self.dataset, self.model, self.seed, self.task, self.recipe, form)

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        plan.need_run(self)
        return paths.METRICS.format(**self.fields)


@dataclass(frozen=True)
class Metrics:
    """A run's per-epoch metrics (``file="metrics"``) or per-step losses (``file="steps"``)."""

    run: Run
    file: str = "metrics"

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        plan.need_run(self.run)
        return (paths.METRICS if self.file == "metrics" else paths.STEPS).format(**self.run.fields)


@dataclass(frozen=True)
class State:
    """A network state: θ0 of (dataset, model, seed), or the parameters of a run after ``epoch``."""

    dataset: str
    model: str
    seed: int
    run: Run | None = None
    epoch: int | str = 0  # an integer, or "final"

    @property
    def name(self) -> str:
        """The state's one spelling in paths (the ``{state}`` wildcard)."""
        if self.run is None:
            return paths.STATE_INIT
        r = self.run
        return paths.STATE_RUN.format(task=r.task, recipe=r.recipe, form=r.form, epoch=self.epoch)


@dataclass(frozen=True)
class Kernel:
    """The ``kind`` kernel of a network state on the ``split`` samples of the task ``samples``."""

    state: State
    samples: str = "classes"
    split: str = "all"
    kind: str = "ntk"

    def file(self, template: str = paths.KERNEL, **fields) -> str:
        """The kernel's file, or (``template``) a file derived from it."""
        s = self.state
        return template.format(dataset=s.dataset, samples=self.samples, split=self.split, model=s.model,
                               seed=s.seed, state=s.name, kernel=self.kind, **fields)

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        return plan.canonical(self).file()


@dataclass(frozen=True)
class Outputs:
    """The outputs f(x) of a network state (float64, in eval mode) on the ``split`` samples of the task
    ``samples``, in the order of that state's kernels on them."""

    state: State
    samples: str = "classes"
    split: str = "all"

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        return plan.canonical(Kernel(self.state, self.samples, self.split)).file(paths.OUTPUTS)


@dataclass(frozen=True)
class LayerKernels:
    """The feature kernels of the named ``modules`` of a network state (each module's output pooled to
    a vector by ``pooling``: none | mean | max) and the input kernel, on the ``split`` samples of the
    task ``samples``, from one pass, in one file (``ntkrepro.ntk.probes``; kinds ``module:<name>``)."""

    state: State
    modules: tuple[str, ...]
    pooling: str = "none"
    samples: str = "classes"
    split: str = "all"

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        probe = plan.probe(self.modules, self.pooling)
        return plan.canonical(Kernel(self.state, self.samples, self.split)).file(paths.LAYER_KERNELS, probe=probe)


@dataclass(frozen=True)
class Spectrum:
    """The top eigenpairs of a kernel (``spectrum.k`` of them)."""

    kernel: Kernel

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        return plan.canonical(self.kernel).file(paths.SPECTRUM)


@dataclass(frozen=True)
class Alignment:
    """α(φ_j) = φ_jᵀ K φ_j / ‖φ_j‖² of ``kernel`` for the eigenfunctions of θ0's kernel on the same samples."""

    kernel: Kernel

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        return plan.canonical(self.kernel).file(paths.ALIGNMENT)


@dataclass(frozen=True)
class Eigenvalues:
    """Every eigenvalue of a kernel (of its (m·C) x (m·C) matrix for a full multi-output NTK)."""

    kernel: Kernel

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        return plan.canonical(self.kernel).file(paths.EIGENVALUES)


@dataclass(frozen=True)
class Regression:
    """Kernel regression (ridge from the config; 0: the minimum-norm interpolant) on a kernel of a
    task's samples (split ``all``), around the state's own outputs: predictions f(x) + K(x, X)α with
    K α = y − f(X), the linearized model solved exactly; training and test accuracy."""

    kernel: Kernel
    task: str

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        if self.kernel.split != "all":
            raise ConfigError("a kernel regression needs the kernel of a task's training and test samples (split all)")
        return plan.canonical(self.kernel).file(paths.REGRESSION, labels=self.task)


@dataclass(frozen=True)
class Evaluation:
    """Kernel measures of one network state on a task, in one job (one file): from ``kernel`` (the
    state's kernel on the task's samples; split ``all``: its training samples then its test samples,
    or split ``test``) and the network itself —
    the network's own training loss and errors (split all) or test error (split test); a hard-margin
    SVM trained on the training block and tested on the test block (split all), of ``kernel`` and of
    each kind in ``others`` (computed in the job); the uncentred alignment and CKA of ``kernel`` with
    each of ``others`` on the test samples; and the invariance of ``kernel``'s features to the
    transform families on the test samples (at most ``invariance.samples`` of them)."""

    kernel: Kernel
    task: str
    others: tuple[str, ...] = ("conjugate",)

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        if self.kernel.split not in ("all", "test"):
            raise ConfigError("an evaluation needs the kernel of a task's training and test samples (split all) "
                              "or of its test samples (split test)")
        kinds = kernel_kinds.KINDS
        if not self.others or any(k not in kinds for k in self.others):
            raise ConfigError(f"an evaluation compares its kernel with other kinds among {', '.join(kinds)}; "
                              f"got {self.others!r}")
        return plan.canonical(self.kernel).file(paths.EVALUATION, labels=self.task, others="+".join(self.others))


@dataclass(frozen=True)
class Nads:
    """The neural anisotropy directions of a network at θ0 and their alignments σ_j²."""

    dataset: str
    model: str
    seed: int

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        return paths.NADS.format(dataset=self.dataset, model=self.model, seed=self.seed)


@dataclass(frozen=True)
class TaskFile:
    """A task's labels (and sample selection) as the runs on it see them."""

    dataset: str
    task: str
    model: str
    seed: int

    def path(self, plan) -> str:
        """The file this request names (recording in ``plan`` what it implies)."""
        return paths.task(self.dataset, self.task, self.model, self.seed)


@dataclass
class Needs:
    """What a figure's table reads: named lists of (labels, request), and parameters of its own."""

    inputs: dict[str, list[tuple[dict, object]]]
    params: dict = field(default_factory=dict)
