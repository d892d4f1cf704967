"""The scorecard's verdicts: a claim is tested only where its preconditions hold (the network has
trained, a difference beyond the resolution), a stand-in dataset has its own verdict words, and the
card counts each kind."""

import numpy as np
import pytest

from ntkrepro import claims


def test_a_claim_holds_or_not_on_its_statistic():
    assert claims.judge("c", "s", 0.2, lambda v: v > 0).verdict == "holds"
    assert claims.judge("c", "s", -0.2, lambda v: v > 0).verdict == "does not hold"
    assert claims.judge("c", "s", np.nan, lambda v: v > 0).verdict == "not tested: not computable from the figure's table"


def test_an_unmet_precondition_makes_the_claim_not_tested_naming_it():
    met = claims.judge("c", "s", 0.2, lambda v: v > 0, requires=["", ""])
    assert met.verdict == "holds"
    unmet = claims.judge("c", "s", 0.2, lambda v: v > 0, requires=["", "first reason", "second reason"])
    assert unmet.holds is None and unmet.verdict == "not tested: first reason"
    assert unmet.value == 0.2  # the statistic is still reported


def test_trained_compares_the_loss_or_accuracy_with_its_threshold():
    assert claims.trained(0.05, 0.1) == ""
    assert claims.trained(0.66, 0.1) == "the network has not trained (training loss 0.66, needs < 0.1)"
    assert claims.trained(0.1, 0.1) != ""  # at the threshold: not past it
    assert claims.trained(0.99, 0.9, "training accuracy", below=False) == ""
    assert claims.trained(0.5, 0.9, "training accuracy", below=False) == (
        "the network has not trained (training accuracy 0.5, needs > 0.9)")
    assert claims.trained(np.nan, 0.1) == "no training loss to show the network has trained"


def test_resolved_needs_the_difference_beyond_the_resolution():
    assert claims.resolved(0.05, 0.01, "one test sample") == ""
    assert claims.resolved(-0.05, 0.01, "one test sample") == ""
    assert claims.resolved(0.003, 0.01, "the interval over seeds") == (
        "the difference 0.003 is within the interval over seeds (0.01)")
    assert claims.resolved(0.01, 0.01, "one test sample") != ""  # exactly one sample: not resolved
    assert claims.resolved(0.05, np.nan, "the interval over seeds") == (
        "the difference 0.05 cannot be resolved: the interval over seeds is not known")
    assert claims.resolved(np.nan, 0.01, "x") == ""  # the statistic itself says it is not computable


def test_a_stand_in_has_its_own_verdicts_and_counts_apart():
    card = [claims.judge("a", "s", 1.0, lambda v: v > 0), claims.judge("b", "s", -1.0, lambda v: v > 0),
            claims.judge("c", "s", 1.0, lambda v: v > 0, standin=True),
            claims.judge("d", "s", -1.0, lambda v: v > 0, standin=True),
            claims.judge("e", "s", 1.0, lambda v: v > 0, standin=True, requires=["the network has not trained"]),
            claims.untested("f", "s", "width ×60 is not built at this scale")]
    verdicts = [c.verdict for c in card]
    assert verdicts == ["holds", "does not hold", "holds on a stand-in", "does not hold on a stand-in",
                        "not tested: the network has not trained", "not tested: width ×60 is not built at this scale"]
    assert claims.counts(verdicts) == {"holds": 1, "does not hold": 1, "holds on a stand-in": 1,
                                       "does not hold on a stand-in": 1, "not tested": 2}
    text = claims.markdown(card, "T", "scale")
    assert "| c | s | 1 | holds on a stand-in |" in text
    assert ("Of 6 claims: 1 hold, 1 do not hold, 1 hold on a stand-in, 1 do not hold on a stand-in, 2 not tested."
            in text)
    assert claims.columns(card)["verdict"] == verdicts


@pytest.mark.parametrize("verdict, kind", [("holds", "holds"), ("does not hold on a stand-in", "does not hold on a stand-in"),
                                           ("not tested: one seed", "not tested")])
def test_a_verdict_read_back_from_the_card_is_of_one_kind(verdict, kind):
    assert claims.kind(verdict) == kind
