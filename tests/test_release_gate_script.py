"""examples/ci/release-gate.sh, end to end as a CI job runs it, on replayed predictions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "ci" / "release-gate.sh"
EXAMPLE = ROOT / "fixtures" / "examples"
GOLDEN = sorted((ROOT / "fixtures" / "golden").glob("*.jsonl"))
ARTIFACTS = ("results.json", "junit.xml", "verdict.json", "scorecard.html")


def _gate(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], cwd=tmp_path, capture_output=True, text=True,
        timeout=600, env={**os.environ, "SQLGATE_PYTHON": sys.executable,
                          "SQLGATE_REPORTS": str(tmp_path / "reports"), **env})


@pytest.mark.slow
def test_gold_answers_pass_the_offline_gate_on_the_whole_golden_suite(tmp_path, suite):  # noqa: ARG001
    predictions = tmp_path / "gold.jsonl"
    with predictions.open("w") as out:
        for path in GOLDEN:
            for line in path.read_text().splitlines():
                example = json.loads(line)
                out.write(json.dumps({"id": example["id"], "sql": example["sql_gold"]}) + "\n")
    done = _gate(tmp_path, str(predictions), "gold")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    reports = tmp_path / "reports" / "gold"
    assert all((reports / name).is_file() for name in ARTIFACTS)
    results = json.loads((reports / "results.json").read_text())
    assert len(results["examples"]) == sum(len(p.read_text().splitlines()) for p in GOLDEN)
    assert json.loads((reports / "verdict.json").read_text())["policy"]["name"] == "offline"
    assert "exit status 0 (passed)" in done.stdout


def test_weak_answers_fail_with_the_failed_rules_in_junit(tmp_path, suite):  # noqa: ARG001
    done = _gate(tmp_path, str(EXAMPLE / "predictions.jsonl"), "example",
                 SQLGATE_EVAL_SETS=str(EXAMPLE / "eval.jsonl"))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    reports = tmp_path / "reports" / "example"
    assert all((reports / name).is_file() for name in ARTIFACTS)
    gate = next(s for s in ET.parse(reports / "junit.xml").getroot().findall("testsuite")
                if s.get("name") == "sqlgate gate")
    failed = {c.get("name") for c in gate.findall("testcase") if c.find("failure") is not None}
    verdict = json.loads((reports / "verdict.json").read_text())
    assert failed == {r["rule"] for r in verdict["rules"] if not r["passed"]}
    assert "threshold execution_accuracy" in failed


def test_bad_input_exits_2(tmp_path):
    assert _gate(tmp_path).returncode == 2  # no predictions file named
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{not json\n")
    done = _gate(tmp_path, str(empty), "broken", SQLGATE_EVAL_SETS=str(EXAMPLE / "eval.jsonl"))
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
