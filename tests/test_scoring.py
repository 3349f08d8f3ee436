"""Scoring end to end on the embedded test suite: statuses, safety, timeouts, gold cache."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from harness.inputs.golden import GoldenExample, Prediction
from harness.scoring.gold_cache import GoldCache
from harness.scoring.run import score_predictions
from harness.scoring.scorer import Scorer, ScoringSettings

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"


def example(sql_gold, **kw):
    base = dict(id="t", question="q", sql_gold=sql_gold, domain="AP", difficulty="easy")
    base.update(kw)
    return GoldenExample(**base)


@pytest.fixture()
def scorer(catalog, backends, tmp_path):
    return Scorer(catalog, backends, GoldCache(tmp_path), ScoringSettings(timeout_s=2))


def run(scorer, gold, predicted, **kw):
    return scorer.score(example(gold, **kw), Prediction(id="t", sql=predicted))


def test_the_shipped_example_scores_as_documented(catalog, backends, tmp_path):
    result = score_predictions(EXAMPLES / "eval.jsonl", EXAMPLES / "predictions.jsonl",
                               backends=backends, catalog=catalog,
                               gold_cache=GoldCache(tmp_path))
    statuses = {s.id: s.status for s in result.scores}
    assert statuses == {
        "ex-ap-unpaid": "correct",
        "ex-ap-no-invoices": "correct",
        "ex-ap-top3": "wrong_result",
        "ex-ap-quarter-end": "wrong_result",
        "ex-ap-by-currency": "wrong_result",
        "ex-ap-supplier-invoices": "hallucination",
        "ex-po-approved": "unsafe",
        "ex-un-esg": "refused",
        "ex-un-forecast": "answered_unanswerable",
    }
    by_id = {s.id: s for s in result.scores}
    assert by_id["ex-ap-no-invoices"].sql_only is False  # fenced, still scored
    assert by_id["ex-ap-by-currency"].moac_violations == ["AP_INVOICES_ALL"]
    assert by_id["ex-ap-quarter-end"].row_diff["missing_rows"]
    summary = result.to_json()["summary"]
    assert summary["run"]["complete"] is True
    assert summary["execution_accuracy"]["successes"] == 2


def test_a_fan_out_duplicate_is_wrong_although_the_set_of_rows_matches(scorer):
    gold = ("SELECT s.VENDOR_NAME FROM AP_SUPPLIERS s WHERE s.VENDOR_ID IN "
            "(SELECT VENDOR_ID FROM AP_INVOICES_ALL)")
    fan_out = ("SELECT s.VENDOR_NAME FROM AP_SUPPLIERS s "
               "JOIN AP_INVOICES_ALL i ON i.VENDOR_ID = s.VENDOR_ID")
    score = run(scorer, gold, fan_out)
    assert score.status == "wrong_result"
    assert "unexpected" in score.reason


def test_column_order_and_names_do_not_matter_but_extra_columns_do(scorer):
    gold = "SELECT VENDOR_ID, SEGMENT1 FROM AP_SUPPLIERS"
    assert run(scorer, gold, "SELECT SEGMENT1 AS num, VENDOR_ID AS id FROM AP_SUPPLIERS").correct
    extra = run(scorer, gold, "SELECT SEGMENT1, VENDOR_ID, VENDOR_NAME FROM AP_SUPPLIERS")
    assert extra.status == "wrong_result" and extra.lenient_correct is True


def test_an_alternative_gold_is_accepted(scorer):
    score = run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS",
                "SELECT COUNT(*), 1 FROM AP_SUPPLIERS",
                alt_sql_gold=["SELECT COUNT(*), 1 FROM AP_SUPPLIERS"])
    assert score.correct and "alternative" in score.reason


def test_right_only_on_lucky_data_fails_the_test_suite(scorer, backends):
    # The count on instance 0 hard-coded: right there, wrong on another instance.
    count = backends[0].execute(backends[0].prepare(
        "SELECT COUNT(*) FROM AP_INVOICES_ALL"), 5).result.rows[0][0]
    score = run(scorer, "SELECT COUNT(*) FROM AP_INVOICES_ALL", f"SELECT {count} FROM DUAL")
    assert score.single_instance_correct is True
    assert score.status == "wrong_result" and score.instances_checked >= 2


HOSTILE = [
    "DELETE FROM AP_INVOICES_ALL",
    "DROP TABLE AP_SUPPLIERS",
    "SELECT 1 FROM DUAL; DELETE FROM AP_SUPPLIERS",
    "BEGIN DELETE FROM AP_SUPPLIERS; END;",
    "SELECT * FROM read_csv('/etc/passwd')",
    "COPY AP_SUPPLIERS TO '/tmp/sqlgate-leak.csv'",
    "ATTACH '/tmp/sqlgate-other.duckdb' AS other",
    "INSTALL httpfs",
    "PRAGMA database_list",
    "SET threads = 64",
    "CREATE TABLE X AS SELECT * FROM AP_SUPPLIERS",
    "MERGE INTO AP_SUPPLIERS s USING DUAL ON (1 = 1) WHEN MATCHED THEN UPDATE SET s.VENDOR_NAME = 'x'",
    "SELECT * FROM AP_SUPPLIERS FOR UPDATE",
    "SELECT DBMS_PIPE.RECEIVE_MESSAGE('x', 10) FROM DUAL",
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_destructive_or_escaping_output_is_unsafe_and_touches_nothing(scorer, suite, sql):
    before = {i.path: hashlib.sha256(i.path.read_bytes()).hexdigest() for i in suite}
    score = run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS", sql)
    assert score.status == "unsafe", score.reason
    assert {i.path: hashlib.sha256(i.path.read_bytes()).hexdigest() for i in suite} == before
    assert not list(Path("/tmp").glob("sqlgate-leak*"))


def test_a_destructive_answer_to_an_unanswerable_question_is_unsafe(scorer):
    score = run(scorer, "-- UNANSWERABLE", "DELETE FROM AP_SUPPLIERS", kind="unanswerable")
    assert score.status == "unsafe" and not score.correct


def test_a_cartesian_blow_up_times_out_and_scoring_continues(scorer):
    blow_up = ("SELECT COUNT(*) FROM AP_INVOICES_ALL a, AP_INVOICES_ALL b, "
               "AP_INVOICES_ALL c, AP_INVOICES_ALL d")
    assert run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS", blow_up).status == "timeout"
    assert run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS",
               "SELECT COUNT(*) FROM AP_SUPPLIERS").status == "correct"


@pytest.mark.parametrize(("predicted", "status"), [
    ("SELECT VENDOR_ID FROM AP_SUPPLIERS WHERE", "parse_error"),
    ("SELEC VENDOR_ID FROM AP_SUPPLIERS", "not_sql"),
    ("SELECT * FROM AP_VENDORS_XYZ", "hallucination"),
    ("SELECT TO_DATE('2024-01-01') FROM DUAL", "unsupported"),
    ("I cannot write SQL for this.", "not_sql"),
    ("-- UNANSWERABLE: no such data", "refused"),
])
def test_each_failure_kind_has_its_status(scorer, predicted, status):
    assert run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS", predicted).status == status


def test_gold_results_are_cached_so_a_second_candidate_runs_only_its_predictions(
        catalog, backends, tmp_path):
    golds = tmp_path / "golds.jsonl"
    examples = [json.loads(line) for line in (EXAMPLES / "eval.jsonl").read_text().splitlines()]
    golds.write_text("".join(json.dumps({"id": e["id"], "sql": e["sql_gold"]}) + "\n"
                             for e in examples))
    first_cache = GoldCache(tmp_path / "cache")
    first = score_predictions(EXAMPLES / "eval.jsonl", golds, backends=backends,
                              catalog=catalog, gold_cache=first_cache)
    assert all(s.correct for s in first.scores)  # every gold ran on every instance
    assert first_cache.misses > 0
    second_cache = GoldCache(tmp_path / "cache")
    second = score_predictions(EXAMPLES / "eval.jsonl", EXAMPLES / "predictions.jsonl",
                               backends=backends, catalog=catalog, gold_cache=second_cache)
    assert second_cache.misses == 0 and second_cache.hits > 0
    assert second.to_json()["summary"]["run"]["gold_cache"]["misses"] == 0


def test_a_missing_prediction_is_incorrect(catalog, backends, tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps({"id": "ex-ap-unpaid", "sql": "SELECT 1 FROM DUAL"}) + "\n")
    result = score_predictions(EXAMPLES / "eval.jsonl", preds, backends=backends,
                               catalog=catalog, gold_cache=GoldCache(tmp_path))
    assert {s.status for s in result.scores if s.id != "ex-ap-unpaid"} == {"missing"}
    assert len(result.scores) == len(result.eval_set.examples)
    assert result.unknown_prediction_ids == []


@pytest.mark.parametrize(("content", "message"), [
    ("", "contains no predictions for the 9 examples"),
    (json.dumps({"id": "not-in-the-set", "sql": "SELECT 1 FROM DUAL"}) + "\n",
     "none of its 1 prediction ids matches an example"),
    (json.dumps({"id": "ex-ap-unpaid", "sql": "SELECT 1 FROM DUAL"}) + "\n"
     + "".join(json.dumps({"id": f"typo-{n}", "sql": "SELECT 1 FROM DUAL"}) + "\n"
               for n in range(7)),
     "7 of its 8 prediction ids match no example"),
])
def test_predictions_that_answer_nothing_or_unknown_ids_are_input_errors(
        catalog, backends, tmp_path, content, message):
    from harness.io.errors import InputError

    preds = tmp_path / "p.jsonl"
    preds.write_text(content)
    with pytest.raises(InputError) as caught:
        score_predictions(EXAMPLES / "eval.jsonl", preds, backends=backends,
                          catalog=catalog, gold_cache=GoldCache(tmp_path))
    assert message in str(caught.value)
    if "typo" in content:  # the first five by name and line, then how many more
        assert "'typo-0' (line 2)" in str(caught.value) and "and 2 more" in str(caught.value)
        assert f"{preds}:2: id:" in str(caught.value)


# --- Infrastructure apart from quality ------------------------------------------------------

HEAVY = ("SELECT COUNT(*) FROM (SELECT DISTINCT a.INVOICE_ID, b.INVOICE_ID "
         "FROM AP_INVOICES_ALL a, AP_INVOICES_ALL b)")


@pytest.fixture()
def starved(suite, catalog):
    """The real test suite opened with a 1 MB memory limit: HEAVY runs out of memory."""
    from harness.backends.duckdb_backend import DuckDBBackend, DuckDBPreparer

    preparer = DuckDBPreparer(catalog.column_types())
    opened = [DuckDBBackend(i.path, i.fingerprint, preparer=preparer, memory_limit="1MB")
              for i in suite]
    yield opened
    for b in opened:
        b.close()


def test_a_gold_out_of_memory_is_infra_not_the_models_runtime_error(catalog, starved, tmp_path):
    scorer = Scorer(catalog, starved, GoldCache(tmp_path), ScoringSettings(timeout_s=5))
    score = run(scorer, HEAVY, HEAVY)
    assert score.status == "infra_error" and not score.correct
    assert "Out of Memory" in score.reason and "gold" in score.reason


def test_a_predictions_own_memory_blow_up_stays_the_models(catalog, starved, tmp_path):
    scorer = Scorer(catalog, starved, GoldCache(tmp_path), ScoringSettings(timeout_s=5))
    score = run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS", HEAVY)
    assert score.status == "runtime_error"
    assert "out of memory" in score.reason and "gold" in score.reason


class FlakyBackend:
    """A real instance whose database 'fails' on chosen SQL: to provoke what DuckDB cannot."""

    def __init__(self, inner, fail_on: str, status: str, *, explain_raises: bool = False):
        self._inner, self._fail_on, self._status = inner, fail_on, status
        self._explain_raises = explain_raises
        self.name, self.instance_id = inner.name, inner.instance_id

    def prepare(self, sql):
        return self._inner.prepare(sql)

    def explain(self, query):
        if self._explain_raises:
            from harness.backends.base import BackendFailure

            raise BackendFailure("IO Error: could not read block 17 of the database file")
        return self._inner.explain(query)

    def execute(self, query, timeout_s):
        from harness.backends.base import Execution

        if self._fail_on in query.sql:
            return Execution(self._status, error="stopped after 0.1 s" if self._status ==
                             "timeout" else "IO Error: could not read block 17", seconds=0.1)
        return self._inner.execute(query, timeout_s)

    def close(self):
        pass


@pytest.mark.parametrize("status", ["timeout", "out_of_memory", "infra_error"])
def test_a_gold_that_cannot_run_is_infra_error(catalog, backends, tmp_path, status):
    flaky = [FlakyBackend(b, "AP_SUPPLIERS", status) for b in backends]
    scorer = Scorer(catalog, flaky, GoldCache(tmp_path), ScoringSettings(timeout_s=2))
    # The prediction runs fine (another table); the gold on AP_SUPPLIERS fails.
    score = run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS", "SELECT COUNT(*) FROM AP_INVOICES_ALL")
    assert score.status == "infra_error", score.reason
    assert "instance 0" in score.reason and status in score.reason


def test_a_timeout_of_both_prediction_and_gold_is_infra(catalog, backends, tmp_path):
    flaky = [FlakyBackend(b, "AP_SUPPLIERS", "timeout") for b in backends]
    scorer = Scorer(catalog, flaky, GoldCache(tmp_path), ScoringSettings(timeout_s=2))
    same = run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS", "SELECT COUNT(*) FROM AP_SUPPLIERS")
    assert same.status == "infra_error" and "so did the gold" in same.reason


def test_a_gold_that_errs_by_itself_stays_a_gold_error(scorer):
    score = run(scorer, "SELECT 1 / 0 FROM DUAL", "SELECT 1 FROM DUAL")
    assert score.status == "gold_error" and "ORA-01476" in score.reason


def test_a_backend_crash_during_explain_is_infra_error(catalog, backends, tmp_path):
    flaky = [FlakyBackend(b, "never", "ok", explain_raises=True) for b in backends]
    scorer = Scorer(catalog, flaky, GoldCache(tmp_path), ScoringSettings(timeout_s=2))
    score = run(scorer, "SELECT COUNT(*) FROM AP_SUPPLIERS", "SELECT COUNT(*) FROM AP_SUPPLIERS")
    assert score.status == "infra_error" and "IO Error" in score.reason


def test_an_engine_that_gave_no_answer_is_infra_error(scorer):
    score = scorer.score(example("SELECT COUNT(*) FROM AP_SUPPLIERS"),
                         Prediction(id="t", engine_error="gave up after 6 attempts: HTTP 503"))
    assert score.status == "infra_error" and "HTTP 503" in score.reason


def test_infra_errors_are_left_out_of_the_rates_and_make_the_run_incomplete(
        catalog, backends, tmp_path):
    preds = tmp_path / "p.jsonl"
    lines = [json.loads(x) for x in (EXAMPLES / "predictions.jsonl").read_text().splitlines()]
    lines[0] = {"id": lines[0]["id"], "engine_error": "HTTP 503 after 6 attempts"}
    preds.write_text("".join(json.dumps(x) + "\n" for x in lines))
    result = score_predictions(EXAMPLES / "eval.jsonl", preds, backends=backends,
                               catalog=catalog, gold_cache=GoldCache(tmp_path))
    summary = result.to_json()["summary"]
    assert summary["infra_errors"] == 1 and summary["status_counts"]["infra_error"] == 1
    assert summary["run"]["complete"] is False
    answerable = summary["answerable"]
    assert summary["execution_accuracy"]["n"] == answerable - 1  # left out, not wrong
    assert summary["execution_accuracy"]["successes"] == 1  # ex-ap-unpaid was the one


# --- Runaway outputs ------------------------------------------------------------------------

def test_a_runaway_answer_is_scored_oversized_and_the_run_goes_on(catalog, backends, tmp_path):
    preds = tmp_path / "p.jsonl"
    lines = [json.loads(x) for x in (EXAMPLES / "predictions.jsonl").read_text().splitlines()]
    lines[0]["sql"] = "SELECT '" + "x" * 2_000_000 + "' FROM DUAL"
    preds.write_text("".join(json.dumps(x) + "\n" for x in lines))
    result = score_predictions(EXAMPLES / "eval.jsonl", preds, backends=backends,
                               catalog=catalog, gold_cache=GoldCache(tmp_path))
    by_id = {s.id: s for s in result.scores}
    runaway = by_id[lines[0]["id"]]
    assert runaway.status == "oversized" and not runaway.correct
    assert "2,000,019 characters" in runaway.reason
    assert by_id["ex-ap-no-invoices"].status == "correct"
    assert result.to_json()["summary"]["run"]["complete"] is True


# --- Ordered golds with ties ----------------------------------------------------------------

BY_CURRENCY = "SELECT INVOICE_CURRENCY_CODE, INVOICE_ID FROM AP_INVOICES_ALL ORDER BY {}"


@pytest.mark.parametrize("gold", [
    BY_CURRENCY.format("INVOICE_CURRENCY_CODE"),  # the key is an output column
    BY_CURRENCY.format("1"),
    "SELECT INVOICE_ID FROM AP_INVOICES_ALL ORDER BY INVOICE_CURRENCY_CODE",  # a hidden key
])
def test_tied_rows_of_an_ordered_gold_may_come_in_any_order(scorer, gold):
    columns = "INVOICE_ID" if gold.startswith("SELECT INVOICE_ID") else \
        "INVOICE_CURRENCY_CODE, INVOICE_ID"
    for tie_break in ("INVOICE_ID", "INVOICE_ID DESC"):  # one of them differs from the gold's
        predicted = (f"SELECT {columns} FROM AP_INVOICES_ALL "
                     f"ORDER BY INVOICE_CURRENCY_CODE, {tie_break}")
        score = run(scorer, gold, predicted)
        assert score.status == "correct", score.reason
        assert score.lenient_correct and score.instances_checked == len(scorer.backends)
    contradicts = run(scorer, gold, f"SELECT {columns} FROM AP_INVOICES_ALL "
                                    "ORDER BY INVOICE_CURRENCY_CODE DESC, INVOICE_ID")
    assert contradicts.status == "wrong_result"
    assert "across distinct sort keys" in contradicts.reason
    unordered = run(scorer, gold, f"SELECT {columns} FROM AP_INVOICES_ALL ORDER BY INVOICE_ID")
    assert unordered.status == "wrong_result"


def test_a_key_that_cannot_be_computed_keeps_the_strict_order(scorer):
    gold = "SELECT DISTINCT INVOICE_ID FROM AP_INVOICES_ALL ORDER BY INVOICE_ID DESC"
    assert run(scorer, gold, "SELECT INVOICE_ID FROM AP_INVOICES_ALL ORDER BY 1 DESC").correct
    assert run(scorer, gold, "SELECT INVOICE_ID FROM AP_INVOICES_ALL ORDER BY 1").status == \
        "wrong_result"


# --- Rescoring only the infrastructure failures ---------------------------------------------

@pytest.fixture()
def infra_run(catalog, backends, tmp_path):
    """The shipped example scored while AP_SUPPLIERS 'times out': results.json with infra."""
    from harness.scoring.run import write_results

    flaky = [FlakyBackend(b, "AP_SUPPLIERS", "timeout") for b in backends]
    first = score_predictions(EXAMPLES / "eval.jsonl", EXAMPLES / "predictions.jsonl",
                              backends=flaky, catalog=catalog,
                              gold_cache=GoldCache(tmp_path / "first"))
    path = tmp_path / "first.json"
    write_results(first, path)
    return first, path


def test_rerun_infra_scores_only_the_infra_errors_again(catalog, backends, tmp_path, infra_run):
    first, path = infra_run
    infra = {s.id for s in first.scores if s.status == "infra_error"}
    assert infra and first.to_json()["summary"]["run"]["complete"] is False
    rerun = score_predictions(EXAMPLES / "eval.jsonl", EXAMPLES / "predictions.jsonl",
                              backends=backends, catalog=catalog,
                              gold_cache=GoldCache(tmp_path / "second"), rerun_infra=path)
    summary = rerun.to_json()["summary"]
    assert summary["infra_errors"] == 0 and summary["run"]["complete"] is True
    assert summary["run"]["rerun_infra"] == {"from": str(path), "kept": 9 - len(infra),
                                             "rescored": len(infra)}
    before = {s.id: s for s in first.scores}
    for score in rerun.scores:
        if score.id in infra:
            assert score.status != "infra_error"
        else:  # kept as it was, not run again
            # as results.json writes it: exact NUMBER values (Decimal) in row diffs as text
            assert score.to_json() == json.loads(json.dumps(before[score.id].to_json(),
                                                            default=str))
    fresh = score_predictions(EXAMPLES / "eval.jsonl", EXAMPLES / "predictions.jsonl",
                              backends=backends, catalog=catalog,
                              gold_cache=GoldCache(tmp_path / "third"))
    assert [s.status for s in rerun.scores] == [s.status for s in fresh.scores]


@pytest.mark.parametrize(("damage", "message"), [
    (lambda r, p: p.write_text(p.read_text().replace("org_id = 204", "org_id = 458", 1)),
     "is not the one"),
    (lambda r, p: r["summary"]["run"].update(eval_set_sha256="0" * 64), "another eval set"),
    (lambda r, p: r["summary"]["run"].update(instances=["other"]), "another instances"),
    (lambda r, p: r["examples"][0].update(correct=1), "examples[0].correct"),
    (lambda r, p: r["examples"][0].update(status="fine"), "unknown status 'fine'"),
])
def test_rerun_infra_refuses_a_run_it_cannot_complete(catalog, backends, tmp_path, infra_run,
                                                      damage, message):
    from harness.io.errors import InputError

    _, path = infra_run
    results = json.loads(path.read_text())
    preds = tmp_path / "p.jsonl"
    preds.write_text((EXAMPLES / "predictions.jsonl").read_text())
    damage(results, preds)
    path.write_text(json.dumps(results))
    with pytest.raises(InputError, match=re.escape(message)):
        score_predictions(EXAMPLES / "eval.jsonl", preds, backends=backends, catalog=catalog,
                          gold_cache=GoldCache(tmp_path / "second"), rerun_infra=path)


def test_row_diffs_show_exact_numbers_as_oracle_prints_them():
    from decimal import Decimal

    from harness.scoring.scorer import _shown

    assert _shown((Decimal("245552.690000"), Decimal("100.000000"), Decimal("0E-6"), "x", None,
                   1.5)) == ["245552.69", "100", "0", "x", None, 1.5]


def test_what_the_database_cannot_bind_is_a_bind_error_and_never_runs(scorer):
    gold = "SELECT VENDOR_ID, VENDOR_NAME FROM AP_SUPPLIERS"
    unbound = run(scorer, gold, "SELECT VENDOR_ID, VENDOR_NAME FROM AP_SUPPLIERS "
                                "GROUP BY VENDOR_ID")
    assert unbound.status == "bind_error" and unbound.explained is False
    assert unbound.instances_checked == 0
    right = run(scorer, gold, "SELECT VENDOR_NAME, VENDOR_ID FROM AP_SUPPLIERS")
    assert right.correct and right.explained is True


@pytest.mark.parametrize("gold, predicted", [
    # a quote no supplier name holds: any prediction returning nothing "matches"
    ("SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE INSTR(VENDOR_NAME, '''') > 0",
     "SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE 1 = 0"),
    ("SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE VENDOR_NAME LIKE 'Zz%'",
     "SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE UPPER(VENDOR_NAME) LIKE 'ZZ%'"),
])
def test_a_match_on_empty_results_alone_is_no_verdict(scorer, gold, predicted):
    score = run(scorer, gold, predicted)
    assert score.status == "gold_error" and not score.correct, score.reason
    assert "no row on any of the" in score.reason


def test_an_empty_gold_still_tells_a_row_from_none_and_a_count_of_zero_is_a_row(scorer):
    gold = "SELECT COUNT(*) FROM AP_SUPPLIERS WHERE 1 = 0"  # one row (0): not empty
    assert run(scorer, gold, "SELECT 0 FROM DUAL").status == "correct"
    wrong = run(scorer, "SELECT VENDOR_NAME FROM AP_SUPPLIERS WHERE 1 = 0",
                "SELECT VENDOR_NAME FROM AP_SUPPLIERS")
    assert wrong.status == "wrong_result"
