"""Table 2: as Table 1, with the digits shifted by up to 7 pixels; the unshifted results of Table 1 are
kept beside them (role ``reference``) for the comparison the text makes."""

from ... import plotting
from ...claims import Claim, check
from . import binary
from .binary import SCHEMA, values  # noqa: F401
from .common import shifted
from .table1 import PAPER as PAPER_UNSHIFTED

PAPER = {
    ("Test", "Solver"): {1: 86.05, 2: 98.7, 5: 99.17},
    ("Test", "Lin."): {1: 95.48, 2: 98.51, 5: 98.97, 10: 99.31, 25: 99.51, 60: 99.55},
    ("Test", "LeNet"): {1: 99.72, 2: 99.80, 5: 99.82, 10: 99.77, 25: 99.82, 60: 99.86},
    ("Train", "Solver"): {1: 100, 2: 100, 5: 100},
    ("Train", "Lin."): {1: 95.42, 2: 98.29, 5: 98.90, 10: 99.25, 25: 99.49, 60: 99.61},
    ("Train", "LeNet"): {1: 99.77, 2: 99.83, 5: 99.86, 10: 99.90, 25: 99.92, 60: 99.90},
}
HEADING = ("**Table 2.** Accuracy of LeNet, LinLeNet and the solver on binary MNIST (0 vs. not 0) at different "
           "widths. Input digits were randomly shifted by up to 7 pixels.")


def needs(ctx):
    return binary.needs(ctx, [("main", shifted(ctx)), ("reference", ctx.dataset)])


def title(ctx) -> str:
    return binary.title(ctx, shifted(ctx), "digits shifted")


def caption(ctx) -> str:
    return binary.caption(ctx, 2, shifted(ctx), "digits shifted") + " The CSV also holds the unshifted rows (role reference)."


def table(inputs, params) -> dict:
    return binary.table(inputs, params, {"main": PAPER, "reference": PAPER_UNSHIFTED})


def markdown(t) -> str:
    return binary.markdown(t, HEADING)


@plotting.styled
def plot(table, title):
    return binary.plot(table, title)


def claims(t) -> list[Claim]:
    out = binary.claims(t, "shifted MNIST", (86.05, 95.48))
    drops = []
    for w in values(t, "main", "Test", "Lin."):
        plain_lin, plain_net = values(t, "reference", "Test", "Lin."), values(t, "reference", "Test", "LeNet")
        lin, net = values(t, "main", "Test", "Lin."), values(t, "main", "Test", "LeNet")
        if w in plain_lin and w in plain_net and w in net:
            drops.append((plain_lin[w] - lin[w]) - (plain_net[w] - net[w]))
    value = min(drops) if drops else float("nan")
    out.append(Claim("Shifting the digits lowers the test accuracy, the linearization's more than LeNet's, at every width.",
                     "min over widths of (drop of Lin.) - (drop of LeNet), drop = unshifted - shifted test accuracy (pp); "
                     "holds if > 0", value, check(value, lambda v: v > 0)))
    return out
