"""Tests of the HTML scorecard: escaping of model text (also in a real browser), verdict, flips."""

import copy
import random
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.report.scorecard import highlight_sql, render_scorecard, write_scorecard

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "reports" / "test-artifacts"
HOSTILE = ('<script>alert(1)</script> <img src=x onerror=alert(1)> '
           '"><svg onload=alert(1)> {{ 7*7 }}')


def metric(value, n=10):
    return {"value": value, "n": n, "successes": None if value is None else round(value * n),
            "ci95": [max(0.0, (value or 0) - 0.2), min(1.0, (value or 0) + 0.2)]}


def example(example_id, correct, **extra):
    base = {
        "id": example_id, "correct": correct, "status": "correct" if correct else "wrong_result",
        "reason": None if correct else "instance 0: row count differs: gold 2, predicted 1",
        "question": f"Question {example_id}?", "gold_sql": "SELECT COUNT(*) FROM AP_INVOICES_ALL",
        "predicted_sql": "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204",
        "domain": "AP", "difficulty": "easy", "kind": "answerable", "row_diff": None,
    }
    return {**base, **extra}


def results(examples, accuracy=0.5):
    names = ("execution_accuracy", "single_instance_accuracy", "lenient_accuracy", "parse_rate",
             "explain_rate", "sql_only_rate", "hallucinated_table_rate",
             "hallucinated_column_rate", "refusal_accuracy", "false_refusal_rate",
             "moac_compliance", "exact_match")
    summary = {name: metric(accuracy if name == "execution_accuracy" else 0.8) for name in names}
    summary.update({
        "out_of_context_table_rate": metric(None, 0), "examples": len(examples),
        "answerable": len(examples), "unanswerable": 0,
        "correct": sum(e["correct"] for e in examples), "unevaluable": 0,
        "status_counts": {"correct": 2, "wrong_result": 3, "unsafe": 1},
        "by_domain": {"AP": metric(0.6, 5), "PO": metric(0.0, 1)},
        "by_difficulty": {"hard": metric(0.2, 2), "easy": metric(0.9, 4)},
        "run": {"eval_set": "golden/ap.jsonl", "eval_set_sha256": "ab" * 32,
                "backend": "duckdb", "instances": ["i0", "i1"], "sqlgate_version": "0.1.0"},
    })
    return {"summary": summary, "examples": examples}


def hostile_results():
    diff = {"instance": 0, "reason": HOSTILE, "gold_columns": [HOSTILE, "N"],
            "predicted_columns": ["X", "N"], "missing_rows": [[HOSTILE, 1]],
            "unexpected_rows": [["<b>bold</b>", None]], "gold_head": [], "predicted_head": []}
    order_diff = {"instance": 1, "reason": "row order differs", "gold_columns": ["A"],
                  "predicted_columns": ["A"], "missing_rows": [], "unexpected_rows": [],
                  "gold_head": [["1"], ["2"]], "predicted_head": [["2"], ["1"]]}
    return results([
        example("ok-1", True),
        example("evil", False, question=HOSTILE, gold_sql="SELECT 1 FROM DUAL -- " + HOSTILE,
                predicted_sql=f"SELECT '{HOSTILE}' FROM DUAL WHERE x = \"{HOSTILE}\" " + HOSTILE,
                reason=HOSTILE, status="wrong_result", row_diff=diff),
        example("order", False, row_diff=order_diff, difficulty="hard"),
        example("missing", False, predicted_sql=None, status="missing", reason="no prediction"),
    ])


VERDICT = {"passed": True, "policy": {"name": "release", "version": "3"},
           "rules": [{"rule": "min_accuracy", "metric": "execution_accuracy",
                      "comparator": ">=", "threshold": 0.85, "value": 0.5, "margin": -0.35,
                      "passed": False, "detail": HOSTILE},
                     {"rule": "no_unevaluable", "metric": "unevaluable", "comparator": "==",
                      "threshold": 0, "value": 0, "margin": 0, "passed": True, "detail": ""}],
           "reasons": [HOSTILE], "flips": {"broken": ["evil"], "fixed": ["ok-1"]}}


def latency():
    rnd = random.Random(7)
    return {"p50_e2e_ms": 410.0, "p95_e2e_ms": 760.0, "p99_e2e_ms": 980.0, "p50_ttft_ms": 55.0,
            "p95_ttft_ms": 90.0, "tokens_per_s": 812.5, "samples": 300,
            "e2e_ms": [rnd.lognormvariate(6, 0.4) for _ in range(300)],
            "ttft_ms": [rnd.lognormvariate(4, 0.3) for _ in range(300)]}


def full_page():
    res = hostile_results()
    baseline = copy.deepcopy(res)
    baseline["summary"]["execution_accuracy"] = metric(0.7)
    other = copy.deepcopy(res)
    other["summary"]["parse_rate"] = metric(0.95)
    return render_scorecard(res, verdict=VERDICT, baseline=baseline,
                            others={"<i>other</i>": other}, latency=latency())


def test_model_text_is_shown_escaped_never_as_markup():
    page = full_page()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in page
    assert "{{ 7*7 }}" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;i&gt;other&lt;/i&gt;" in page
    for raw in ("<script", "<img", "<svg onload", "<b>bold", "<i>other"):
        assert raw not in page


def test_highlighting_escapes_before_wrapping():
    html = str(highlight_sql("SELECT '<b>FROM</b>' FROM t -- <script>x</script>\nWHERE a<b"))
    assert html.startswith('<span class="sql-kw">SELECT</span>')
    assert '<span class="sql-string">&#39;&lt;b&gt;FROM&lt;/b&gt;&#39;</span>' in html
    assert '<span class="sql-comment">-- &lt;script&gt;x&lt;/script&gt;</span>' in html
    assert "a&lt;b" in html and "<b>" not in html and "<script>" not in html
    assert str(highlight_sql(None)) == ""


def test_banner_says_fail_when_any_rule_failed_even_if_flag_says_pass():
    page = render_scorecard(hostile_results(), verdict=VERDICT)
    assert '<span class="word">FAIL</span>' in page and "PASS" not in page
    assert "release" in page and "version 3" in page and "1 failed" in page


def test_banner_passes_when_every_rule_passed():
    verdict = {"passed": True, "rules": [VERDICT["rules"][1]]}
    page = render_scorecard(hostile_results(), verdict=verdict)
    assert '<span class="word">PASS</span>' in page and "FAIL" not in page


def test_missing_verdict_keys_and_no_verdict_are_tolerated():
    assert "FAIL" in render_scorecard(hostile_results(), verdict={"passed": False})
    assert "NO VERDICT" in render_scorecard(hostile_results())


def test_flipped_examples_come_first_broken_then_fixed():
    page = render_scorecard(hostile_results(), verdict=VERDICT)
    drill = page[page.index("Examples to review"):]
    positions = [drill.index(f"<code>{i}</code>") for i in ("evil", "ok-1", "order", "missing")]
    assert positions == sorted(positions)
    assert drill.index('<span class="badge fail">broken</span> <span') < drill.index(
        '<span class="badge pass">fixed</span> <span')


def test_flips_are_computed_from_the_baseline_without_a_verdict():
    res = hostile_results()
    baseline = copy.deepcopy(res)
    flipped = {"order": True, "ok-1": False}
    for e in baseline["examples"]:
        e["correct"] = flipped.get(e["id"], e["correct"])
    drill = render_scorecard(res, baseline=baseline).split("Examples to review")[1]
    assert drill.index("<code>order</code>") < drill.index("<code>ok-1</code>") < drill.index(
        "<code>evil</code>")


def test_comparison_marks_best_per_row_lower_wins_for_error_rates():
    res = hostile_results()
    other = copy.deepcopy(res)
    other["summary"]["execution_accuracy"] = metric(0.9)
    other["summary"]["false_refusal_rate"] = metric(0.1)
    page = render_scorecard(res, others={"big": other})
    rows = {r.split("</code>")[0]: r for r in page.split("<tr><td><code>")[1:]}
    assert rows["execution_accuracy"].count("best") == 1
    assert 'class="num best">90.0%' in rows["execution_accuracy"]
    assert 'class="num best">10.0%' in rows["false_refusal_rate"]
    assert "best" not in rows["parse_rate"]


def test_latency_section_only_when_given_and_from_samples_alone():
    assert "<h2>Latency</h2>" not in render_scorecard(hostile_results())
    page = render_scorecard(hostile_results(), latency={"e2e_ms": [100, 200, 300]})
    assert "<h2>Latency</h2>" in page and "200" in page


def test_write_scorecard_writes_the_page(tmp_path):
    out = tmp_path / "sub" / "scorecard.html"
    write_scorecard(hostile_results(), out, verdict=VERDICT, latency=latency())
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_page_is_self_contained():
    page = full_page()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for external in ("http://", "https://", "<link", "@import", "<script"):
        assert external not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


class _Elements(HTMLParser):
    """Every element the browser built: (tag, attributes)."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def _chromium(tmp_path, *args):
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
def test_browser_builds_no_element_from_model_text_and_screenshot(tmp_path):
    page = tmp_path / "scorecard.html"
    page.write_text(full_page(), encoding="utf-8")
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    parser = _Elements()
    parser.feed(dom)
    tags = [tag for tag, _ in parser.elements]
    assert "body" in tags and "details" in tags
    assert "script" not in tags and "img" not in tags and "b" not in tags and "i" not in tags
    assert all("chart" in attrs.get("class", "") for tag, attrs in parser.elements
               if tag == "svg")
    assert not [a for _, attrs in parser.elements for a in attrs if a.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "{{ 7*7 }}" in dom

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "scorecard.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    assert shot.stat().st_size > 10_000


def test_example_card_counts_agree_with_the_statuses_and_text_metrics_are_shown():
    examples = [example("a", True), example("b", True, status="refused", kind="unanswerable"),
                example("c", False), example("d", False, status="infra_error")]
    data = results(examples)
    data["summary"].update({"correct": 2, "infra_errors": 1,
                            "rouge_l": {"value": 0.6821, "n": 3}, "bleu": {"value": 0.4311, "n": 3}})
    page = render_scorecard(data)
    # 2 right = 1 answered correctly + 1 correct refusal (the status list shows them apart);
    # the infra error is neither right nor the model's wrong answer.
    assert "2 right (1 answered correctly, 1 refused correctly) · 1 wrong" in page
    assert "1 infrastructure errors: rerun" in page
    assert "<code>rouge_l</code>" in page and "<code>bleu</code>" in page
    assert "68.2%" in page and "43.1%" in page
