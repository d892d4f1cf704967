"""The claims scorecard: each figure's claim from the paper, a statistic of the regenerated data
that tests it, its value and whether the claim holds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import spearman


@dataclass
class Claim:
    figure: str
    claim: str
    statistic: str
    value: float
    holds: bool | None  # None: the statistic could not be computed (e.g. too few points)


def _check(value: float, test) -> bool | None:
    return None if not np.isfinite(value) else bool(test(value))


def _models(t: dict) -> list:
    return list(dict.fromkeys(t["model"].tolist()))


def fig2(t: dict) -> list[Claim]:
    out = []
    eig = t["task"] == "eigenfunction"
    for model in _models(t):
        for kind in ("network", "linearized"):
            rows = eig & (t["model"] == model) & (t["kind"] == kind)
            rho = spearman(t["index"][rows], t["test_accuracy"][rows])
            out.append(Claim("2", f"The test accuracy of the {model} {kind} drops as the eigenfunction index j grows.",
                             f"Spearman correlation of j and test accuracy ({model}, {kind}); holds if < 0",
                             rho, _check(rho, lambda v: v < 0)))
        net = eig & (t["model"] == model) & (t["kind"] == "network")
        lin = eig & (t["model"] == model) & (t["kind"] == "linearized")
        by_j = {j: a for j, a in zip(t["index"][lin], t["test_accuracy"][lin])}
        gaps = [by_j[j] - a for j, a in zip(t["index"][net], t["test_accuracy"][net]) if j in by_j]
        gap = float(np.mean(gaps)) if gaps else float("nan")
        out.append(Claim("2", f"On eigenfunction tasks the linearized {model} does better than the network (no non-linear advantage).",
                         f"mean over j of accuracy(linearized) - accuracy(network) ({model}); holds if > 0",
                         gap, _check(gap, lambda v: v > 0)))
    return out


def fig3(t: dict) -> list[Claim]:
    out = []
    for col, what in [("iterations_to_threshold", "more iterations to reach the training-loss threshold"),
                      ("distance_l2", "a larger ℓ2 distance from θ0"), ("distance_cosine", "a larger cosine distance from θ0")]:
        rho = spearman(t["index"], t[col])
        out.append(Claim("3", f"Eigenfunctions with larger j need {what}.",
                         f"Spearman correlation of j and {col}; holds if > 0", rho, _check(rho, lambda v: v > 0)))
    return out


def fig4(t: dict) -> list[Claim]:
    out = []
    for model in _models(t):
        rows = (t["model"] == model) & np.isfinite(t["network_accuracy"])
        rho = spearman(t["index"][rows], t["network_accuracy"][rows])
        out.append(Claim("4", f"The {model} learns linear predictors along the first NADs better than along later ones.",
                         f"Spearman correlation of NAD index j and network test accuracy ({model}); holds if < 0",
                         rho, _check(rho, lambda v: v < 0)))
        gap = float(np.mean(t["network_accuracy"][rows] - t["linearized_accuracy"][rows])) if rows.any() else float("nan")
        out.append(Claim("4", f"On NAD tasks the {model} has a non-linear advantage over its linearization.",
                         f"mean over trained NADs of accuracy(network) - accuracy(linearized) ({model}); holds if > 0",
                         gap, _check(gap, lambda v: v > 0)))
    return out


def fig5(t: dict) -> list[Claim]:
    out = []
    for model in _models(t):
        rows = t["model"] == model
        sizes = np.unique(t["size"][rows])

        def gap(n):
            net = t["test_accuracy"][rows & (t["kind"] == "network") & (t["size"] == n)]
            lin = t["test_accuracy"][rows & (t["kind"] == "linearized") & (t["size"] == n)]
            return float(np.mean(net) - np.mean(lin)) if len(net) and len(lin) else float("nan")

        growth = gap(sizes[-1]) - gap(sizes[0]) if len(sizes) > 1 else float("nan")
        out.append(Claim("5", f"The non-linear advantage of the {model} on CIFAR2 grows with the training-set size.",
                         f"gap(largest n) - gap(smallest n), gap = mean accuracy(network) - mean accuracy(linearized) ({model}); holds if > 0",
                         growth, _check(growth, lambda v: v > 0)))
        net = rows & (t["kind"] == "network")
        rho = spearman(t["size"][net], t["distance_l2"][net])
        out.append(Claim("5", f"With more data the {model} ends farther from its initialization.",
                         f"Spearman correlation of n and ‖θ_T - θ0‖ of the network ({model}); holds if > 0",
                         rho, _check(rho, lambda v: v > 0)))
    return out


def fig6(t: dict) -> list[Claim]:
    order = np.argsort(t["epoch"])
    ec = t["energy_concentration"][order]
    ratio = float(ec[-1] / ec[0]) if len(ec) > 1 and ec[0] > 0 else float("nan")
    return [Claim("6", "Training concentrates the labels' energy on the first K eigenvectors of the NTK.",
                  "energy concentration at the last checkpoint / at initialization; holds if > 1",
                  ratio, _check(ratio, lambda v: v > 1))]


def fig7(t: dict) -> list[Claim]:
    growth = t["alpha_trained"] / t["alpha_init"]
    target = t["is_target"] == 1
    ratio = float(growth[target][0] / np.max(growth[~target])) if target.any() and (~target).any() else float("nan")
    return [Claim("7", "Training raises the alignment of the target eigenfunction much more than that of any other.",
                  "(α_T/α_0 of the target) / max over other j of α_T/α_0; holds if > 1",
                  ratio, _check(ratio, lambda v: v > 1))]


def fig8(t: dict) -> list[Claim]:
    def speed(name):  # mean log training loss over epochs: lower is faster convergence
        rows = t["model"] == name
        return float(np.mean(np.log(t["train_loss"][rows]))) if rows.any() else float("nan")

    def accuracy(name):
        rows = t["model"] == name
        return float(t["test_accuracy"][rows][np.argmax(t["epoch"][rows])]) if rows.any() else float("nan")

    net, lin0, lin_star = "network", "linearized at θ0", "linearized at θ*"
    return [
        Claim("8", "The network fits the training labels much faster than its linearization at θ0.",
              "mean log training loss over epochs: linearized at θ0 - network; holds if > 0",
              speed(lin0) - speed(net), _check(speed(lin0) - speed(net), lambda v: v > 0)),
        Claim("8", "The linearization at the trained θ* converges faster than the one at θ0.",
              "mean log training loss over epochs: at θ0 - at θ*; holds if > 0",
              speed(lin0) - speed(lin_star), _check(speed(lin0) - speed(lin_star), lambda v: v > 0)),
        Claim("8", "The linearization at θ* generalizes worse than the one at θ0.",
              "final test accuracy: at θ0 - at θ*; holds if > 0",
              accuracy(lin0) - accuracy(lin_star), _check(accuracy(lin0) - accuracy(lin_star), lambda v: v > 0)),
    ]


def fig9(t: dict) -> list[Claim]:
    lin = t["kind"] == "linearized"
    e, acc = t["pretraining_epochs"][lin], t["test_accuracy"][lin]
    rho = spearman(e, acc)
    drop = float(acc[np.argmin(e)] - acc[np.argmax(e)]) if lin.any() else float("nan")
    return [
        Claim("9", "Linearizations around later checkpoints θ_e generalize worse.",
              "Spearman correlation of e and test accuracy; holds if < 0", rho, _check(rho, lambda v: v < 0)),
        Claim("9", "Pretraining degrades the linearized model's accuracy.",
              "test accuracy at e = 0 - at the largest e; holds if > 0", drop, _check(drop, lambda v: v > 0)),
    ]


EVALUATORS = {"2": fig2, "3": fig3, "4": fig4, "5": fig5, "6": fig6, "7": fig7, "8": fig8, "9": fig9}


def scorecard(tables: dict[str, dict]) -> list[Claim]:
    """Claims of every figure whose table is given (figure number -> table)."""
    return [c for fig in sorted(tables, key=int) for c in EVALUATORS[fig](tables[fig])]


def verdict(holds: bool | None) -> str:
    return {True: "holds", False: "does not hold", None: "not computable"}[holds]


def markdown(claims: list[Claim], scale: str) -> str:
    lines = [
        "# Claims scorecard",
        "",
        f"Regenerated at: {scale}. Each line tests one claim of the paper on the data in `figures/figN.csv`.",
        "",
        "| figure | claim | statistic | value | verdict |",
        "|---|---|---|---|---|",
    ]
    for c in claims:
        lines.append(f"| {c.figure} | {c.claim} | {c.statistic} | {c.value:.4g} | {verdict(c.holds)} |")
    held = sum(c.holds is True for c in claims)
    lines += ["", f"{held} of {len(claims)} claims hold at this scale."]
    return "\n".join(lines) + "\n"


def columns(claims: list[Claim]) -> dict:
    return {
        "figure": [c.figure for c in claims],
        "claim": [c.claim for c in claims],
        "statistic": [c.statistic for c in claims],
        "value": [c.value for c in claims],
        "verdict": [verdict(c.holds) for c in claims],
    }
