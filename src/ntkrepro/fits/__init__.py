"""Fits on Gram matrices: kernel regression (ridge and ridgeless), least squares on the Jacobian,
and the no-bias hard-margin SVM (exact, or JST Algorithm 1 as in Long's code)."""

from .regression import (KernelRegression, LeastSquares, LinearizedSolve, kernel_regression, least_squares,
                         linearized_solve)
from .svm import HardMarginSVM, hard_margin_svm

__all__ = [
    "kernel_regression",
    "linearized_solve",
    "LinearizedSolve",
    "KernelRegression",
    "least_squares",
    "LeastSquares",
    "hard_margin_svm",
    "HardMarginSVM",
]
