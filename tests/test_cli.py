"""The command line as a user runs it: exit codes, contract-4 output, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"


def sqlgate(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_score_writes_contract_4_results_and_exits_0(suite, tmp_path):
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    proc = sqlgate("score", "--eval-set", str(EXAMPLES / "eval.jsonl"), "--predictions",
                   str(EXAMPLES / "predictions.jsonl"), "--out", str(out), "--html", str(html),
                   "--no-progress")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    ids = [json.loads(line)["id"] for line in (EXAMPLES / "eval.jsonl").read_text().splitlines()]
    assert [e["id"] for e in results["examples"]] == ids
    for entry in results["examples"]:
        assert {"id", "correct", "status", "reason"} <= entry.keys()
        assert isinstance(entry["correct"], bool)
    assert "execution_accuracy" in results["summary"]
    # The table shows every headline metric of the registry (out_of_context_table_rate was
    # missing from the CLI's own copy of the list).
    from harness.scoring.metrics import headline_metrics

    assert all(m.name in proc.stdout for m in headline_metrics())
    assert "<html" in html.read_text()


def test_bad_input_is_one_line_with_file_and_line_and_exit_2(tmp_path):
    broken = tmp_path / "eval.jsonl"
    broken.write_text('{"id": "a", "question": "q", "sql_gold": "SELECT 1 FROM DUAL", '
                      '"domain": "AP", "difficulty": "easy"}\n{"id": "b", "question": 3}\n')
    proc = sqlgate("score", "--eval-set", str(broken), "--predictions", str(broken),
                   "--out", str(tmp_path / "r.json"), "--no-progress")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{broken}:2:" in lines[0] and "question" in lines[0]
    assert not (tmp_path / "r.json").exists()


def test_missing_file_and_unknown_option_exit_2(tmp_path):
    proc = sqlgate("score", "--eval-set", str(tmp_path / "nope.jsonl"), "--predictions",
                   str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r.json"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    assert sqlgate("score", "--bogus").returncode == 2


def test_catalog_prints_the_summary():
    proc = sqlgate("catalog")
    assert proc.returncode == 0, proc.stderr
    assert "AP_INVOICES_ALL" in proc.stdout and "204" in proc.stdout
    data = json.loads(sqlgate("catalog", "--json").stdout)
    assert data["tables"] >= 30


def test_predictions_that_match_no_example_exit_2_naming_them(tmp_path):
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps({"id": f"other-{n}", "sql": "SELECT 1 FROM DUAL"}) + "\n"
                             for n in range(8)))
    proc = sqlgate("score", "--eval-set", str(EXAMPLES / "eval.jsonl"), "--predictions",
                   str(preds), "--out", str(tmp_path / "r.json"), "--no-progress")
    assert proc.returncode == 2, proc.stderr
    assert "none of its 8 prediction ids matches an example" in proc.stderr
    assert "'other-0' (line 1)" in proc.stderr and "and 3 more" in proc.stderr
    assert not (tmp_path / "r.json").exists()
    preds.write_text("")
    proc = sqlgate("score", "--eval-set", str(EXAMPLES / "eval.jsonl"), "--predictions",
                   str(preds), "--out", str(tmp_path / "r.json"), "--no-progress")
    assert proc.returncode == 2 and "contains no predictions" in proc.stderr


def test_rerun_infra_rescores_the_infra_errors_of_a_previous_run(suite, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    args = ["score", "--eval-set", str(EXAMPLES / "eval.jsonl"), "--predictions",
            str(EXAMPLES / "predictions.jsonl"), "--no-progress"]
    assert sqlgate(*args, "--out", str(first)).returncode == 0
    results = json.loads(first.read_text())
    right = results["examples"][0]
    assert right["status"] == "correct"
    right.update(status="infra_error", correct=False, reason="the gold failed: timeout")
    results["examples"][1]["reason"] = "kept as it was"
    first.write_text(json.dumps(results))
    proc = sqlgate(*args, "--out", str(second), "--rerun-infra", str(first))
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stdout.split())  # rich wraps long lines
    assert "kept 8 verdict(s)" in said and "scored 1 again" in said
    rerun = json.loads(second.read_text())
    assert rerun["examples"][0]["status"] == "correct"
    assert rerun["examples"][1]["reason"] == "kept as it was"
    assert rerun["summary"]["run"]["complete"] is True
