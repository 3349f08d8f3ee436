"""Summary metrics: denominators and definitions, checked on hand-built scores."""

import math

from hypothesis import given
from hypothesis import strategies as st

from harness.scoring.metrics import summarize, wilson_interval
from harness.scoring.scorer import ExampleScore


def score(status, *, correct=False, kind="answerable", domain="AP", difficulty="easy", **kw):
    base = dict(id=f"{status}-{len(kw)}", correct=correct, status=status, reason="", kind=kind,
                domain=domain, difficulty=difficulty)
    base.update(kw)
    return ExampleScore(**base)


def test_denominators_follow_the_definitions():
    scores = [
        score("correct", correct=True, parsed=True, explained=True, sql_only=True,
              single_instance_correct=True, lenient_correct=True),
        score("wrong_result", parsed=True, explained=True, sql_only=False,
              single_instance_correct=True, lenient_correct=True, domain="GL"),
        score("hallucination", parsed=True, unknown_columns=["AP_INVOICES_ALL.FOO"]),
        score("parse_error", parsed=False, sql_only=True),
        score("refused", refused=True, sql_only=True),
        score("missing"),
        score("refused", correct=True, kind="unanswerable", refused=True, sql_only=True),
        score("answered_unanswerable", kind="unanswerable", sql_only=True),
    ]
    s = summarize(scores)
    assert s["examples"] == 8 and s["answerable"] == 6 and s["unanswerable"] == 2
    assert s["execution_accuracy"]["value"] == 1 / 6
    assert s["single_instance_accuracy"]["value"] == 2 / 6  # lucky-data pass counts here only
    assert s["lenient_accuracy"]["value"] == 2 / 6
    assert s["parse_rate"]["value"] == 3 / 6
    assert s["explain_rate"]["value"] == 2 / 6
    # hallucination rates are over parsed answers (3 of them)
    assert s["hallucinated_column_rate"] == {**s["hallucinated_column_rate"], "n": 3,
                                             "successes": 1}
    assert s["hallucinated_table_rate"]["successes"] == 0
    assert s["refusal_accuracy"]["value"] == 1 / 2
    assert s["false_refusal_rate"]["value"] == 1 / 6
    assert s["sql_only_rate"]["n"] == 6  # missing and hallucination have no compliance verdict
    assert s["status_counts"]["refused"] == 2
    assert s["by_domain"]["GL"]["value"] == 0.0
    assert s["accuracy"]["value"] == 2 / 8


def test_moac_compliance_counts_only_examples_that_require_it():
    scores = [score("correct", correct=True, parsed=True, moac_required=True),
              score("correct", correct=True, parsed=True, moac_required=True,
                    moac_violations=["AP_INVOICES_ALL"]),
              score("correct", correct=True, parsed=True)]
    m = summarize(scores)["moac_compliance"]
    assert (m["n"], m["successes"]) == (2, 1)


def test_empty_groups_have_no_value():
    s = summarize([score("correct", correct=True, parsed=True)])
    assert s["refusal_accuracy"]["value"] is None
    assert s["refusal_accuracy"]["ci95"] == [0.0, 1.0]


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_contains_the_estimate(k, n):
    k = min(k, n)
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n + 1e-12 and k / n - 1e-12 <= high <= 1.0


def test_wilson_interval_reference_value():
    # 8 of 10: the textbook Wilson 95% interval is (0.4902, 0.9433).
    low, high = wilson_interval(8, 10)
    assert math.isclose(low, 0.4902, abs_tol=1e-4) and math.isclose(high, 0.9433, abs_tol=1e-4)


def test_infra_errors_are_counted_apart_and_left_out_of_every_rate():
    scores = [score("correct", correct=True, parsed=True), score("wrong_result", parsed=True),
              score("infra_error"), score("infra_error", kind="unanswerable")]
    summary = summarize(scores)
    assert summary["examples"] == 4 and summary["infra_errors"] == 2
    assert summary["execution_accuracy"] == summarize(scores[:2])["execution_accuracy"]
    assert summary["execution_accuracy"]["n"] == 2
    assert summary["refusal_accuracy"]["n"] == 0
    assert summary["status_counts"]["infra_error"] == 2
    assert summary["unevaluable"] == 0  # not the model's, not the judge's: the machine's
