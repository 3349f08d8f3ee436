"""The SQL guardrail: each rejection reason, the retry path, retry exhausted, the summary."""

from __future__ import annotations

import pytest

from harness.backends.base import PreparedQuery, QueryRejected
from harness.engines.base import Generation, SamplingParams
from harness.serving.guardrail import (
    build_retry_prompt,
    check_answer,
    guardrail_summary,
    run_batch_with_guardrail,
    run_with_guardrail,
)
from harness.translate.errors import UnsupportedConstruct

GOOD = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204 AND CANCELLED_DATE IS NOT NULL"


class FakeBackend:
    """EXPLAIN fails for SQL naming BAD_FUNC; translation is refused for CONNECT BY."""

    name = "fake"
    instance_id = "fake-0"

    def prepare(self, oracle_sql: str) -> PreparedQuery:
        if "CONNECT BY" in oracle_sql:
            raise UnsupportedConstruct("CONNECT BY", "no faithful translation")
        if "REJECT_ME" in oracle_sql:
            raise QueryRejected("unsafe", "no")
        return PreparedQuery(oracle_sql, ordered=False)

    def explain(self, query: PreparedQuery) -> str | None:
        if "BROKEN_DISK" in query.sql:
            from harness.backends.base import BackendFailure

            raise BackendFailure("IO Error: could not read block 17")
        return "Binder Error: no function BAD_FUNC" if "BAD_FUNC" in query.sql else None


class ScriptedEngine:
    """Answers from a script, one per call in order; records the prompts it was sent."""

    name = "scripted"
    fingerprint = "scripted"

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        self.prompts += prompts
        return [Generation(self.answers.pop(0), 10, 5, 0.01) for _ in prompts]


def codes(check) -> list[str]:
    return [r.code for r in check.reasons]


def test_accepts_clean_sql_and_fenced_sql(catalog):
    assert check_answer(GOOD, catalog=catalog).ok
    fenced = check_answer(f"```sql\n{GOOD};\n```", catalog=catalog)
    assert fenced.ok and fenced.sql == GOOD


def test_accepts_the_refusal_convention(catalog):
    check = check_answer("-- UNANSWERABLE: no such data", catalog=catalog)
    assert check.ok and check.refusal


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("   \n", "empty"),
    ("I cannot write that query, sorry.", "not_sql"),
    (f"Here is the query:\n{GOOD};\nIt counts cancelled invoices.", "not_sql_only"),
    ("SELECT FROM WHERE", "parse_error"),
    ("DELETE FROM AP_INVOICES_ALL WHERE ORG_ID = 204", "unsafe"),
    (f"{GOOD};\nSELECT 1 FROM DUAL", "unsafe"),
    ("SELECT X FROM AP_INVOICES_EVERYTHING", "unknown_table"),
    ("SELECT INVOICE_COLOUR FROM AP_INVOICES_ALL", "unknown_column"),
    ("SELECT ORG_ID FROM AP_INVOICES_ALL, AP_CHECKS_ALL", "ambiguous_column"),
])
def test_each_rejection_reason(catalog, raw, code):
    check = check_answer(raw, catalog=catalog)
    assert not check.ok
    assert codes(check)[0] == code


def test_moac_only_when_the_policy_requires_it(catalog):
    sql = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE CANCELLED_DATE IS NOT NULL"
    assert check_answer(sql, catalog=catalog).ok
    check = check_answer(sql, catalog=catalog, org_policy="required")
    assert codes(check) == ["moac"]
    assert "AP_INVOICES_ALL" in check.reasons[0].message
    assert check_answer(GOOD, catalog=catalog, org_policy="required").ok


def test_explain_on_the_backend(catalog):
    backend = FakeBackend()
    assert check_answer(GOOD, catalog=catalog, backend=backend).ok
    # An unknown built-in is a parse error now (ORA-00904); a package function is the
    # database's to know, so the backend's EXPLAIN is what finds it missing.
    bad = "SELECT XX_PKG.BAD_FUNC(INVOICE_NUM) FROM AP_INVOICES_ALL"
    check = check_answer(bad, catalog=catalog, backend=backend)
    assert codes(check) == ["explain_error"] and "BAD_FUNC" in check.reasons[0].message
    assert check_answer(bad, catalog=catalog).ok  # no backend, no EXPLAIN


def test_every_problem_of_a_stage_is_reported(catalog):
    check = check_answer("SELECT A.NOPE, B.NADA FROM AP_INVOICES_ALL A, AP_SUPPLIERS B",
                         catalog=catalog)
    assert codes(check) == ["unknown_column", "unknown_column"]


def test_retry_path_fails_once_then_succeeds(catalog):
    engine = ScriptedEngine(["Sure! SELECT INVOICE_COLOUR FROM AP_INVOICES_ALL", GOOD])
    answer = run_with_guardrail(engine, "PROMPT", catalog=catalog)
    assert answer.ok and answer.sql == GOOD and answer.attempts == 2 and answer.retried
    assert [r.attempt for r in answer.reasons] == [1]
    assert len(answer.timings) == 2
    retry = engine.prompts[1]
    assert retry.startswith("PROMPT") and "INVOICE_COLOUR" in retry and "SQL" in retry
    assert answer.record()["attempts"] == 2


def test_first_answer_good_needs_no_retry(catalog):
    engine = ScriptedEngine([GOOD])
    answer = run_with_guardrail(engine, "PROMPT", catalog=catalog)
    assert answer.ok and answer.attempts == 1 and not answer.reasons
    assert engine.prompts == ["PROMPT"]


def test_retry_exhausted_is_recorded(catalog):
    engine = ScriptedEngine(["DROP TABLE AP_INVOICES_ALL", "still not sql, sorry."])
    answer = run_with_guardrail(engine, "PROMPT", catalog=catalog)
    assert not answer.ok and answer.sql is None and answer.attempts == 2
    assert [(r.attempt, r.code) for r in answer.reasons] == [(1, "unsafe"), (2, "not_sql")]
    assert answer.raw == "still not sql, sorry."
    assert answer.record()["ok"] is False


def test_custom_retry_prompt_builder(catalog):
    engine = ScriptedEngine(["", GOOD])
    seen = []

    def builder(prompt, raw, reasons):
        seen.append((prompt, raw, [r.code for r in reasons]))
        return "AGAIN"

    run_with_guardrail(engine, "P", catalog=catalog, retry_prompt_builder=builder)
    assert seen == [("P", "", ["empty"])] and engine.prompts == ["P", "AGAIN"]


def test_batch_retries_only_the_failures_in_one_round(catalog):
    engine = ScriptedEngine([GOOD, "nonsense words only", GOOD])
    answers = run_batch_with_guardrail(engine, ["A", "B"], catalog=catalog)
    assert [a.attempts for a in answers] == [1, 2]
    assert engine.prompts[:2] == ["A", "B"] and engine.prompts[2].startswith("B")


def test_retry_prompt_names_every_reason():
    from harness.serving.guardrail import Rejection

    text = build_retry_prompt("Q", "x", [Rejection("a", "first"), Rejection("b", "second")])
    assert "- first" in text and "- second" in text


def test_guardrail_summary_rates():
    records = [{"ok": True, "attempts": 1}, {"ok": True, "attempts": 2,
                                              "reasons": [{"code": "moac"}]},
               {"ok": False, "attempts": 2, "reasons": [{"code": "unsafe"}, {"code": "moac"}]},
               {"ok": True, "attempts": 1}, None]
    summary = guardrail_summary(records)
    assert summary["retry_rate"]["value"] == 0.5 and summary["retry_rate"]["n"] == 4
    assert summary["final_failure_rate"]["value"] == 0.25
    assert summary["rejections_by_code"] == {"moac": 2, "unsafe": 1}
    assert guardrail_summary([])["retry_rate"]["value"] is None


def test_summary_is_gateable():
    from harness.gate.policy import metric_value

    summary = {"guardrail": guardrail_summary([{"ok": True, "attempts": 2}])}
    assert metric_value(summary, "guardrail.retry_rate", "value")[0] == 1.0


def test_explain_stage_edge_cases(catalog):
    backend = FakeBackend()
    # Valid Oracle the embedded engine cannot translate: not the model's fault, no retry.
    tree_walk = ("SELECT PERSON_ID FROM PER_ALL_PEOPLE_F START WITH PERSON_ID = 1 "
                 "CONNECT BY PRIOR PERSON_ID = PERSON_ID")
    assert check_answer(tree_walk, catalog=catalog, backend=backend).ok
    rejected = check_answer("SELECT INVOICE_NUM REJECT_ME FROM AP_INVOICES_ALL",
                            catalog=catalog, backend=backend)
    assert codes(rejected) == ["explain_error"] and "rejected" in rejected.reasons[0].message
    # The database failing is no objection to the answer: no retry asked of the model.
    assert check_answer("SELECT INVOICE_NUM BROKEN_DISK FROM AP_INVOICES_ALL",
                        catalog=catalog, backend=backend).ok
