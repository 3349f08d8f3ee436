"""The sqlgate pytest plugin, run through pytester on the real suites and the shipped example."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# The gate's statistics load numpy/scipy; a C extension cannot load twice in one process, and
# pytester's in-process runs drop the modules they imported: load them here, once.
import harness.gate.policy  # noqa: F401

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "examples"
SUITES = ROOT / "suites"
ANSWERABLE = 7  # ids of the shipped example eval set: 7 answerable, 2 unanswerable
ALL = 9
# The outer session imported harness already, so the inner one cannot rewrite its asserts.
QUIET = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")


@pytest.fixture()
def evaluation(pytester: pytest.Pytester, suite):  # noqa: ARG001 — builds the test suite once
    """A pytester directory holding the real suites; returns a runner with the example args."""
    for name in ("test_accuracy.py", "test_refusal.py", "test_safety.py"):
        pytester.makepyfile(**{name[:-3]: (SUITES / name).read_text()})
    out = pytester.path / "out"

    def run(*extra: str, predictions: Path = EXAMPLE / "predictions.jsonl"):
        # `--opt=value`: a bare path would be taken for a test path when pytest looks for
        # its rootdir, before the plugin's options are known.
        result = pytester.runpytest(
            *QUIET, "--candidate=example", "--engine=replay", f"--predictions={predictions}",
            f"--eval-set={EXAMPLE / 'eval.jsonl'}", f"--sqlgate-out={out}", *extra)
        results = out / "results.json"
        return result, (json.loads(results.read_text()) if results.exists() else None)

    return run


def test_one_item_per_example_with_markers(evaluation):
    result, _ = evaluation("--collect-only", "-q")
    lines = [line for line in result.outlines if "::" in line]
    assert len(lines) == ANSWERABLE + 2 + ALL  # accuracy, refusal, safety
    assert "test_accuracy.py::test_accuracy[ex-ap-unpaid]" in lines
    assert "test_refusal.py::test_refusal[ex-un-esg]" in lines
    result, _ = evaluation("--collect-only", "-q", "-m", "unanswerable")
    assert len([line for line in result.outlines if "::" in line]) == 2 + 2
    result, _ = evaluation("--collect-only", "-q", "-m", "domain_PO and easy")
    assert [line for line in result.outlines if "::" in line] == [
        "test_accuracy.py::test_accuracy[ex-po-approved]",
        "test_safety.py::test_safety[ex-po-approved]"]


def test_full_run_writes_results_and_junit(evaluation, pytester):
    result, results = evaluation(f"--junitxml={pytester.path / 'junit.xml'}")
    # Without --gate the per-example failures decide, as in any pytest run.
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=11, failed=7)
    assert [e["id"] for e in results["examples"]] == [
        "ex-ap-unpaid", "ex-ap-no-invoices", "ex-ap-top3", "ex-ap-quarter-end",
        "ex-ap-by-currency", "ex-ap-supplier-invoices", "ex-po-approved", "ex-un-esg",
        "ex-un-forecast"]
    run = results["summary"]["run"]
    assert run["complete"] is True
    assert (run["candidate"], run["engine"], run["deselected"]) == ("example", "replay", 0)
    assert run["engine_fingerprint"].startswith("replay:")
    assert results["summary"]["examples"] == ALL
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    by_name = {c.get("name"): c for c in cases}
    assert len(by_name) == 18
    failure = by_name["test_accuracy[ex-ap-by-currency]"].find("failure")
    assert "wrong_result" in failure.get("message")
    props = {p.get("name"): p.get("value")
             for p in by_name["test_accuracy[ex-ap-by-currency]"].iter("property")}
    assert props["status"] == "wrong_result"
    answers = (pytester.path / "out" / "predictions.jsonl").read_text().splitlines()
    assert len(answers) == ALL


def test_failure_message_carries_reason_and_row_diff(evaluation):
    result, _ = evaluation("-k", "test_accuracy and ex-ap-by-currency")
    text = result.stdout.str()
    assert "wrong_result: instance 0: 4 gold rows missing, 4 unexpected rows" in text
    assert "missing rows (in gold, not predicted):" in text
    assert "unexpected rows (predicted, not in gold):" in text
    assert "predicted: SELECT INVOICE_CURRENCY_CODE" in text


def test_selection_marks_results_incomplete(evaluation):
    result, results = evaluation("-k", "ex-ap-unpaid")
    result.assert_outcomes(passed=2)
    assert [e["id"] for e in results["examples"]] == ["ex-ap-unpaid"]
    assert results["summary"]["run"]["complete"] is False
    assert results["summary"]["run"]["deselected"] == 16


def test_stop_on_first_failure_marks_results_incomplete(evaluation):
    result, results = evaluation("-x", "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    assert results["summary"]["run"]["complete"] is False
    assert len(results["examples"]) == 3


def test_safety_flags_unsafe_answer_to_unanswerable_question(evaluation, pytester):
    lines = (EXAMPLE / "predictions.jsonl").read_text().splitlines()
    records = [json.loads(x) for x in lines]
    for record in records:
        if record["id"] == "ex-un-esg":
            record["sql"] = "DELETE FROM AP_INVOICES_ALL"
    hostile = pytester.path / "hostile.jsonl"
    hostile.write_text("".join(json.dumps(r) + "\n" for r in records))
    result, _ = evaluation("-k", "ex-un-esg and not test_refusal", predictions=hostile)
    result.assert_outcomes(failed=1)
    assert "unsafe: delete" in result.stdout.str()


def test_gate_decides_exit_status(evaluation, pytester):
    gate = pytester.path / "lenient.toml"
    gate.write_text('[policy]\nname = "lenient"\nversion = 1\n\n'
                    '[[threshold]]\nmetric = "execution_accuracy"\nmin = 0.1\n')
    result, results = evaluation("--gate", str(gate))
    result.assert_outcomes(passed=11, failed=7)
    assert result.ret == 0  # 7 failing examples, but the gate's policy passes
    assert (pytester.path / "out" / "verdict.json").exists()
    result, _ = evaluation("--gate", str(gate), "-k", "ex-ap-unpaid")
    assert result.ret == 1  # incomplete run: the gate fails closed


def test_missing_options_are_usage_errors(pytester):
    pytester.makepyfile(test_accuracy=(SUITES / "test_accuracy.py").read_text())
    eval_set = f"--eval-set={EXAMPLE / 'eval.jsonl'}"
    result = pytester.runpytest(*QUIET, eval_set)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--candidate NAME*"])
    result = pytester.runpytest(*QUIET, eval_set, "--candidate=x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--engine replay needs --predictions*"])


def test_plugin_is_inert_for_ordinary_tests(pytester):
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()
    assert "sqlgate:" not in result.stdout.str()


def test_replayed_ids_that_match_no_example_are_bad_input(evaluation, pytester):
    predictions = pytester.path / "typo.jsonl"
    lines = (EXAMPLE / "predictions.jsonl").read_text().splitlines()
    lines.append(json.dumps({"id": "ex-ap-unpiad", "sql": "SELECT 1 FROM DUAL"}))
    predictions.write_text("\n".join(lines) + "\n")
    result, results = evaluation(predictions=predictions)
    assert result.ret == 2
    assert "ex-ap-unpiad" in result.stdout.str() and results is None


def test_replayed_engine_error_is_infrastructure_not_the_model(evaluation, pytester):
    predictions = pytester.path / "engine_error.jsonl"
    lines = (EXAMPLE / "predictions.jsonl").read_text().splitlines()
    lines[0] = json.dumps({"id": json.loads(lines[0])["id"],
                           "engine_error": "HTTP 503 after 3 attempts"})
    predictions.write_text("\n".join(lines) + "\n")
    _, results = evaluation(predictions=predictions)
    first = results["examples"][0]
    assert first["status"] == "infra_error" and "503" in first["reason"]
    assert results["summary"]["run"]["complete"] is False


def test_engine_failures_score_infra_error_and_the_rest_is_kept(pytester, suite):  # noqa: ARG001
    from tests.fake_openai import fake_openai_app, serve

    for name in ("test_accuracy.py", "test_refusal.py"):
        pytester.makepyfile(**{name[:-3]: (SUITES / name).read_text()})

    def answer(prompt: str) -> str:
        if "forecast" in prompt.lower() or "late next month" in prompt.lower():
            raise RuntimeError("the server falls over on this prompt")
        return "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"

    out = pytester.path / "out"
    with serve(fake_openai_app(answer)) as url:
        pytester.runpytest(
            *QUIET, "--candidate=served", "--engine=openai", f"--base-url={url}",
            f"--eval-set={EXAMPLE / 'eval.jsonl'}", f"--sqlgate-out={out}",
            "--no-generation-cache")
    results = json.loads((out / "results.json").read_text())
    statuses = {e["id"]: e["status"] for e in results["examples"]}
    assert statuses["ex-un-forecast"] == "infra_error"
    assert [s for i, s in statuses.items() if i != "ex-un-forecast"].count("infra_error") == 0
    assert results["summary"]["run"]["complete"] is False
