"""The claims scorecard of a paper: each claim of the paper, a statistic of the regenerated data that
tests it, its value and its verdict. Figure modules state their claims; this writes the card.

A verdict is given only where the experiment can show the claim. A claim states its preconditions
(:func:`trained`: the compared network has trained; :func:`resolved`: a difference exceeds the
resolution of the data, the interval over seeds or one test sample); one that is not met makes the
verdict ``not tested: <reason>``. A claim about the paper's dataset scored on a stand-in for it gets
the verdicts ``holds on a stand-in`` / ``does not hold on a stand-in``, never counted as the paper's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

HOLDS, FAILS, NOT_TESTED = "holds", "does not hold", "not tested"
ON_A_STANDIN = " on a stand-in"
# the verdicts a scorecard counts, in the order it lists them
KINDS = (HOLDS, FAILS, HOLDS + ON_A_STANDIN, FAILS + ON_A_STANDIN, NOT_TESTED)
PLURAL = {HOLDS: "hold", FAILS: "do not hold", HOLDS + ON_A_STANDIN: "hold on a stand-in",
          FAILS + ON_A_STANDIN: "do not hold on a stand-in", NOT_TESTED: "not tested"}
NOT_COMPUTABLE = "not computable from the figure's table"


@dataclass
class Claim:
    """One line of a scorecard: the paper's claim, the statistic that tests it, its value and verdict."""

    claim: str
    statistic: str
    value: float
    holds: bool | None  # None: not tested (``reason`` says why)
    figure: str = ""  # filled in by the scorecard: the label of the figure it tests
    reason: str = ""  # why the claim is not tested: a precondition not met, or the scale not built
    standin: bool = False  # the data compared stand in for the paper's dataset

    def __post_init__(self):
        if self.reason:
            self.holds = None
        elif self.holds is None:
            self.reason = NOT_COMPUTABLE

    @property
    def verdict(self) -> str:
        """One of ``KINDS``; "not tested" followed by the reason."""
        if self.holds is None:
            return f"{NOT_TESTED}: {self.reason}"
        return (HOLDS if self.holds else FAILS) + (ON_A_STANDIN if self.standin else "")


def check(value: float, test) -> bool | None:
    """The verdict of ``test(value)``; None when the value is not a finite number."""
    return None if not np.isfinite(value) else bool(test(value))


def judge(claim: str, statistic: str, value: float, test: Callable[[float], bool], *,
          requires: Iterable[str] = (), standin: bool = False) -> Claim:
    """The claim with the verdict ``test(value)`` if every precondition in ``requires`` is met (each
    is '' or the reason it is not, as :func:`trained` and :func:`resolved` give them), else not
    tested for the first reason; not tested either when the value is not a finite number."""
    value = float(value)
    reason = next((r for r in requires if r), "")
    return Claim(claim, statistic, value, check(value, test), reason=reason, standin=standin)


def untested(claim: str, statistic: str, reason: str = "not at this scale") -> Claim:
    """A claim the configured scale cannot show (e.g. it is about a width or a dataset not built)."""
    return Claim(claim, statistic, float("nan"), None, reason=reason)


def trained(value: float, threshold: float, what: str = "training loss", *, below: bool = True) -> str:
    """'' when the compared network has trained: ``what`` (its value) below ``threshold`` (above it
    with ``below=False``, for an accuracy); else the reason the claim is not tested."""
    value = float(value)
    if not np.isfinite(value):
        return f"no {what} to show the network has trained"
    if value < threshold if below else value > threshold:
        return ""
    return f"the network has not trained ({what} {value:.3g}, needs {'<' if below else '>'} {threshold:g})"


def resolved(difference: float, resolution: float, what: str) -> str:
    """'' when ``|difference|`` exceeds ``resolution`` (``what``: e.g. "the interval over seeds" or
    "one test sample"); else the reason the claim is not tested."""
    difference, resolution = float(difference), float(resolution)
    if not np.isfinite(difference):
        return ""  # the statistic itself is not computable: the claim says so
    if not np.isfinite(resolution):
        return f"the difference {difference:.3g} cannot be resolved: {what} is not known"
    if abs(difference) > resolution:
        return ""
    return f"the difference {difference:.3g} is within {what} ({resolution:.3g})"


def kind(verdict: str) -> str:
    """Which of ``KINDS`` a verdict is (a scorecard's verdict column holds the reasons too)."""
    return NOT_TESTED if verdict.startswith(NOT_TESTED) else verdict


def counts(verdicts: Iterable[str]) -> dict[str, int]:
    """The number of verdicts of each of ``KINDS``."""
    out = dict.fromkeys(KINDS, 0)
    for v in verdicts:
        out[kind(v)] += 1
    return out


def summary(verdicts: Iterable[str]) -> str:
    """One line: how many claims hold, do not hold, hold or not on a stand-in and are not tested."""
    n = counts(verdicts)
    return f"Of {sum(n.values())} claims: " + ", ".join(f"{n[k]} {PLURAL[k]}" for k in KINDS) + "."


def markdown(claims: list[Claim], title: str, scale: str) -> str:
    """The card as Markdown: one table row per claim, then the counts of each verdict."""
    lines = [
        "# Claims scorecard",
        "",
        f"{title}. Regenerated at: {scale}. Each line tests one claim of the paper on the data in the figure's CSV; "
        "a claim whose precondition the data do not meet is not tested, and one scored on a stand-in for the "
        "paper's dataset says so.",
        "",
        "| figure | claim | statistic | value | verdict |",
        "|---|---|---|---|---|",
    ]
    for c in claims:
        lines.append(f"| {c.figure} | {c.claim} | {c.statistic} | {c.value:.4g} | {c.verdict} |")
    lines += ["", summary(c.verdict for c in claims)]
    return "\n".join(lines) + "\n"


def columns(claims: list[Claim]) -> dict:
    """The card as CSV columns (figure, claim, statistic, value, verdict)."""
    return {
        "figure": [c.figure for c in claims],
        "claim": [c.claim for c in claims],
        "statistic": [c.statistic for c in claims],
        "value": [c.value for c in claims],
        "verdict": [c.verdict for c in claims],
    }
