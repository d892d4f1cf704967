"""The claims scorecard of a paper: each claim of the paper, a statistic of the regenerated data that
tests it, its value and whether the claim holds. Figure modules state their claims; this writes the card."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Claim:
    claim: str
    statistic: str
    value: float
    holds: bool | None  # None: the statistic could not be computed (too few points, or not at this scale)
    figure: str = ""  # filled in by the scorecard: the label of the figure it tests
    tested: bool = True  # False: the configured scale cannot show the claim (see ``untested``)

    @property
    def verdict(self) -> str:
        return verdict(self.holds, self.tested)


def untested(claim: str, statistic: str) -> Claim:
    """A claim the configured scale cannot show (e.g. it is about a width or a dataset not built):
    no value, verdict "not tested at this scale"."""
    return Claim(claim, statistic, float("nan"), None, tested=False)


def check(value: float, test) -> bool | None:
    """The verdict of ``test(value)``; None when the value is not a finite number."""
    return None if not np.isfinite(value) else bool(test(value))


UNTESTED = "not tested at this scale"


def verdict(holds: bool | None, tested: bool = True) -> str:
    if not tested:
        return UNTESTED
    return {True: "holds", False: "does not hold", None: "not computable"}[holds]


def markdown(claims: list[Claim], title: str, scale: str) -> str:
    lines = [
        "# Claims scorecard",
        "",
        f"{title}. Regenerated at: {scale}. Each line tests one claim of the paper on the data in the figure's CSV.",
        "",
        "| figure | claim | statistic | value | verdict |",
        "|---|---|---|---|---|",
    ]
    for c in claims:
        lines.append(f"| {c.figure} | {c.claim} | {c.statistic} | {c.value:.4g} | {c.verdict} |")
    held = sum(c.holds is True for c in claims)
    untested_ = sum(not c.tested for c in claims)
    lines += ["", f"{held} of {len(claims)} claims hold at this scale."
              + (f" {untested_} cannot be tested at this scale." if untested_ else "")]
    return "\n".join(lines) + "\n"


def columns(claims: list[Claim]) -> dict:
    return {
        "figure": [c.figure for c in claims],
        "claim": [c.claim for c in claims],
        "statistic": [c.statistic for c in claims],
        "value": [c.value for c in claims],
        "verdict": [c.verdict for c in claims],
    }
