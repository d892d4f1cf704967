"""Figure 6: effective rank (Roy-Vetterli) of the Jacobian ∇_w f(w0, X) of 600 training samples with
10 outputs (a 6,000-row matrix) of LinLeNet on MNIST and shifted MNIST, against the width factor; of
LinAlexNet on the snakes too when configured."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ...claims import Claim, check
from ...pipeline import Needs
from .common import MODEL, WIDTHS, check_dataset, shift_text, shifted, width_label, widths, zero_rtol
from .jacobian_spectra import read_eigenvalues, spectrum, spectrum_requests, steps

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        # LinAlexNet on the snakes (Figure 6, right): null leaves it out
        "alexnet": {
            "type": ["object", "null"],
            "default": None,
            "additionalProperties": False,
            "required": ["dataset"],
            "properties": {"dataset": {"type": "string"}, "model": {**MODEL, "default": "alexnet"},
                           "widths": {**WIDTHS, "default": [1, 2, 3, 4]}},
        },
    },
}
FAR_BELOW = 0.1  # "much lower than the number of rows": at most a tenth of it


def requests(ctx) -> list:
    out = [({"model": "LinLeNet", **lab}, req) for lab, req in spectrum_requests(
        ctx, model=ctx.paper["model"], datasets=[("MNIST", ctx.dataset), ("shifted MNIST", shifted(ctx))],
        width_list=widths(ctx))]
    alex = ctx.section.get("alexnet")
    if alex:
        check_dataset(ctx, alex["dataset"], "fig6.alexnet.dataset")
        out += [({"model": "LinAlexNet", **lab}, req) for lab, req in spectrum_requests(
            ctx, model=alex["model"], datasets=[("snakes", alex["dataset"])], width_list=sorted(alex["widths"]),
            key="fig6.alexnet.model")]
    return out


def needs(ctx) -> Needs:
    return Needs({"eigenvalues": requests(ctx)}, {"rtol": zero_rtol(ctx), "of": ctx.paper["singular_values_of"]})


def of_text(of: str) -> str:
    return "σ(J J^T) = λ, the kernel matrix's" if of == "kernel" else "σ(J) = √λ, the Jacobian's"


def title(ctx) -> str:
    n = ctx.paper["jacobian_samples"]
    return (f"Effective rank of the Jacobian of {n} training samples x 10 outputs at θ0 ({of_text(ctx.paper['singular_values_of'])} "
            f"singular values), on {ctx.dataset} and {shifted(ctx)}")


def caption(ctx) -> str:
    n = ctx.paper["jacobian_samples"]
    return (
        f"**Figure 6.** Effective rank exp(H(p)), p = s/Σs (Roy and Vetterli), of the Jacobian J = ∇_w f(w0, X) of "
        f"{n} training samples (class-stratified, drawn with the seed) with 10 outputs ({10 * n:,} rows) of LinLeNet "
        f"at widths {', '.join(width_label(w) for w in widths(ctx))}, on {ctx.dataset} (★) and with {shift_text(ctx)} "
        f"(★, second colour); s are the {of_text(ctx.paper['singular_values_of'])} singular values "
        "(`singular_values_of`; the CSV has both), from the eigenvalues λ of the full 10-output NTK J Jᵀ. The "
        "paper's claims: far below full rank, growing with width, less so with shifts. Scorecard: Figure 6 lines."
    )


def table(inputs, params) -> dict:
    rows = {k: [] for k in ("model", "role", "dataset", "width", "rows", "rank", "erank_jacobian", "erank_kernel",
                            "effective_rank", "fraction_of_rows", "of")}
    for label, path in inputs["eigenvalues"]:
        s = spectrum(read_eigenvalues(path), params["rtol"], params["of"])
        erank = s["erank_kernel"] if params["of"] == "kernel" else s["erank_jacobian"]
        for k in ("model", "role", "dataset", "width", "rows"):
            rows[k].append(label[k])
        rows["rank"].append(s["rank"])
        rows["erank_jacobian"].append(s["erank_jacobian"])
        rows["erank_kernel"].append(s["erank_kernel"])
        rows["effective_rank"].append(erank)
        rows["fraction_of_rows"].append(erank / label["rows"])
        rows["of"].append(params["of"])
    return rows


@plotting.styled
def plot(table, title):
    models = list(dict.fromkeys(table["model"].tolist()))
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.2), squeeze=False)
    for ax, model in zip(axes[0], models):
        rows = table["model"] == model
        for i, role in enumerate(dict.fromkeys(table["role"][rows].tolist())):
            r = rows & (table["role"] == role)
            order = np.argsort(table["width"][r])
            ax.plot(table["width"][r][order], table["effective_rank"][r][order], "*-", ms=8,
                    color=plotting.MODEL_COLORS[i % 5], label=role)
        ax.set_xscale("log")
        ax.set_xticks(sorted(set(table["width"][rows].tolist())))
        plotting.plain_log_axis(ax.xaxis)
        ax.set_xlabel("width factor")
        full = int(table["rows"][rows][0])
        ax.set_ylabel(f"effective rank (full rank {full:,})")
        ax.set_title(model)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle(title)
    return fig


def claims(t) -> list[Claim]:
    out = []
    growth = {}
    for model in dict.fromkeys(t["model"].tolist()):
        for role in dict.fromkeys(t["role"][t["model"] == model].tolist()):
            r = (t["model"] == model) & (t["role"] == role)
            order = np.argsort(t["width"][r])
            erank, frac = t["effective_rank"][r][order], t["fraction_of_rows"][r][order]
            top = float(np.max(frac))
            out.append(Claim(f"The effective rank of {model}'s Jacobian on {role} is far below its full rank "
                             f"({int(t['rows'][r][0]):,}) at every width.",
                             f"max over widths of effective rank / rows; holds if < {FAR_BELOW}",
                             top, check(top, lambda v: v < FAR_BELOW)))
            step = float(np.min(steps(erank))) if len(erank) > 1 else float("nan")
            out.append(Claim(f"The effective rank of {model}'s Jacobian on {role} grows with width.",
                             "min over successive widths of erank(wider) / erank(narrower); holds if > 1",
                             step, check(step, lambda v: v > 1)))
            growth[(model, role)] = float(erank[-1] / erank[0]) if len(erank) > 1 else float("nan")
    if ("LinLeNet", "MNIST") in growth and ("LinLeNet", "shifted MNIST") in growth:
        value = growth[("LinLeNet", "shifted MNIST")] / growth[("LinLeNet", "MNIST")]
        out.append(Claim("With shifted digits the effective rank grows less with width than without.",
                         "(erank(widest) / erank(narrowest)) shifted / the same unshifted; holds if < 1",
                         value, check(value, lambda v: v < 1)))
    return out
