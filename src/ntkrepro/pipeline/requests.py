"""What a figure can ask for: runs, network states, kernels, spectra, alignments, NADs and task files.
The run plan turns each request into a file path and derives the jobs (and each run's checkpoint
epochs) from all the requests of all enabled figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import paths


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


@dataclass(frozen=True)
class Metrics:
    """A run's per-epoch metrics (``file="metrics"``) or per-step losses (``file="steps"``)."""

    run: Run
    file: str = "metrics"


@dataclass(frozen=True)
class State:
    """A network state: θ0 of (dataset, model, seed), or the parameters of a run after ``epoch``."""

    dataset: str
    model: str
    seed: int
    run: Run | None = None
    epoch: int | str = 0  # an integer, or "final"


@dataclass(frozen=True)
class Kernel:
    """The ``kind`` kernel of a network state on the ``split`` samples of the task ``samples``."""

    state: State
    samples: str = "classes"
    split: str = "all"
    kind: str = "ntk"

    def path(self) -> str:
        """The kernel's file under results/kernels/."""
        s = self.state
        fields = {"dataset": s.dataset, "samples": self.samples, "split": self.split, "model": s.model,
                  "seed": s.seed, "kernel": self.kind}
        if s.run is None:
            return paths.KERNEL_INIT.format(**fields)
        return paths.KERNEL_RUN.format(**fields, task=s.run.task, recipe=s.run.recipe, form=s.run.form, epoch=s.epoch)


@dataclass(frozen=True)
class Spectrum:
    """The top eigenpairs of a kernel (``spectrum.k`` of them)."""

    kernel: Kernel


@dataclass(frozen=True)
class Alignment:
    """α(φ_j) = φ_jᵀ K φ_j / ‖φ_j‖² of ``kernel`` for the eigenfunctions of θ0's kernel on the same samples."""

    kernel: Kernel


@dataclass(frozen=True)
class Eigenvalues:
    """Every eigenvalue of a kernel (of its (m·C) x (m·C) matrix for a full multi-output NTK)."""

    kernel: Kernel


@dataclass(frozen=True)
class Regression:
    """Kernel regression (ridge from the config; 0: the minimum-norm interpolant) on a kernel of a
    task's samples (split ``all``), around the state's own outputs: predictions f(x) + K(x, X)α with
    K α = y − f(X), the linearized model solved exactly; training and test accuracy."""

    kernel: Kernel
    task: str


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


@dataclass(frozen=True)
class Nads:
    """The neural anisotropy directions of a network at θ0 and their alignments σ_j²."""

    dataset: str
    model: str
    seed: int


@dataclass(frozen=True)
class TaskFile:
    """A task's labels (and sample selection) as the runs on it see them."""

    dataset: str
    task: str
    model: str
    seed: int


@dataclass
class Needs:
    """What a figure's table reads: named lists of (labels, request), and parameters of its own."""

    inputs: dict[str, list[tuple[dict, object]]]
    params: dict = field(default_factory=dict)
