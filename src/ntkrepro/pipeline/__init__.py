"""The generic machinery between the configuration and the rules: path templates (``paths``), the
requests a figure makes (imported here, for figure modules), the run plan derived from them (``plan``)
and the resources jobs ask for (``resources``)."""

from .requests import (Alignment, Eigenvalues, Evaluation, Kernel, Metrics, Nads, Needs, Outputs,
                       Regression, Run, Spectrum, State, TaskFile)

__all__ = ["Alignment", "Eigenvalues", "Evaluation", "Kernel", "Metrics", "Nads",
           "Needs", "Outputs", "Regression", "Run", "Spectrum", "State", "TaskFile"]
