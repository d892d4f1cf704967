"""Figure 7: the distribution of the singular values of the Jacobian ∇_w f(w0, X) (600 samples, 10
outputs) of LinLeNet at each width, on MNIST and shifted MNIST, with the smallest non-zero singular
value and the condition number."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ...claims import Claim, check
from ...pipeline import Needs
from .common import shift_text, shifted, width_label, widths, zero_rtol
from .jacobian_spectra import read_eigenvalues, spectrum, spectrum_requests, steps

SCHEMA = {"type": "object", "additionalProperties": False, "properties": {}}
COLUMNS = ("role", "dataset", "width", "index", "eigenvalue", "singular_value", "of", "rank", "smallest_nonzero",
           "condition_number")


def needs(ctx) -> Needs:
    req = spectrum_requests(ctx, model=ctx.paper["model"], datasets=[("MNIST", ctx.dataset), ("shifted MNIST", shifted(ctx))],
                            width_list=widths(ctx))
    return Needs({"eigenvalues": req}, {"rtol": zero_rtol(ctx), "of": ctx.paper["singular_values_of"]})


def matrix(of: str) -> str:
    return "J J^T" if of == "kernel" else "J"


def title(ctx) -> str:
    n = ctx.paper["jacobian_samples"]
    return (f"Singular values of {matrix(ctx.paper['singular_values_of'])}, J the Jacobian of LinLeNet at θ0 on {n} "
            f"samples x 10 outputs, on {ctx.dataset} and {shifted(ctx)}")


def caption(ctx) -> str:
    n = ctx.paper["jacobian_samples"]
    return (
        f"**Figure 7.** Distribution of the singular values of {matrix(ctx.paper['singular_values_of'])} "
        f"(`singular_values_of`), J = ∇_w f(w0, X) the Jacobian of LinLeNet at widths "
        f"{', '.join(width_label(w) for w in widths(ctx))} on {n} training samples with 10 outputs, on {ctx.dataset} "
        f"(left) and with {shift_text(ctx)} (right); the legend gives each width's condition number σ_max/σ_min "
        "(smallest non-zero σ; eigenvalues of J Jᵀ below `zero_rtol` x the largest count as zero). The CSV has every "
        "eigenvalue λ of J Jᵀ, the singular values, the rank, the smallest non-zero singular value and the condition "
        "number. The paper's claims: wider networks have larger smallest non-zero singular values and smaller "
        "condition numbers. Scorecard: Figure 7 lines."
    )


def table(inputs, params) -> dict:
    rows = {k: [] for k in COLUMNS}
    for label, path in inputs["eigenvalues"]:
        lam = np.sort(read_eigenvalues(path))[::-1]
        s = spectrum(lam, params["rtol"], params["of"])
        n = len(lam)
        for k in ("role", "dataset", "width"):
            rows[k] += [label[k]] * n
        rows["index"] += list(range(1, n + 1))
        rows["eigenvalue"] += lam.tolist()
        rows["singular_value"] += s["values"].tolist()
        rows["of"] += [params["of"]] * n
        for k in ("rank", "smallest_nonzero", "condition_number"):
            rows[k] += [s[k]] * n
    return rows


def summary(t, role: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(widths, smallest non-zero σ, condition number) of one dataset, by width."""
    r = (t["role"] == role) & (t["index"] == 1)
    order = np.argsort(t["width"][r])
    return t["width"][r][order], t["smallest_nonzero"][r][order], t["condition_number"][r][order]


@plotting.styled
def plot(table, title):
    roles = list(dict.fromkeys(table["role"].tolist()))
    name = "σ(J J$^T$)" if table["of"][0] == "kernel" else "σ(J)"
    fig, axes = plt.subplots(1, len(roles), figsize=(4.2 * len(roles), 3.2), sharey=True, squeeze=False)
    for ax, role in zip(axes[0], roles):
        w, _, kappa = summary(table, role)
        positive = table["singular_value"][table["singular_value"] > 0]
        bins = np.logspace(np.log10(positive.min()), np.log10(positive.max()), 50)
        for i, (width, k) in enumerate(zip(w, kappa)):
            r = (table["role"] == role) & (table["width"] == width) & (table["singular_value"] > 0)
            ax.hist(table["singular_value"][r], bins=bins, histtype="step", lw=1.2, color=plotting.MODEL_COLORS[i % 5],
                    label=f"{width_label(width)}: κ = {k:.3g}")
        ax.set_xscale("log")
        ax.set_xlabel(f"singular value {name}")
        ax.set_title(role)
        ax.legend(fontsize=7, frameon=False)
    axes[0][0].set_ylabel("count")
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    out = []
    for role in dict.fromkeys(t["role"].tolist()):
        w, smallest, kappa = summary(t, role)
        step = float(np.min(steps(smallest))) if len(w) > 1 else float("nan")
        out.append(Claim(f"On {role}, wider networks have a larger smallest non-zero singular value.",
                         "min over successive widths of σ_min(wider) / σ_min(narrower); holds if > 1",
                         step, check(step, lambda v: v > 1)))
        step = float(np.max(steps(kappa))) if len(w) > 1 else float("nan")
        out.append(Claim(f"On {role}, wider networks have a smaller condition number.",
                         "max over successive widths of κ(wider) / κ(narrower); holds if < 1",
                         step, check(step, lambda v: v < 1)))
    return out
