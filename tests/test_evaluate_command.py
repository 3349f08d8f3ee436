"""`sqlgate evaluate`: one command from a predictions file to a gated scorecard, as a new user
runs it; the gate's rules in the JUnit file; results as DataFrames; the MLflow run read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "examples"


def _evaluate(tmp_path: Path, *args: str, cwd: Path | None = None
              ) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness", "evaluate", "--eval-set", str(EXAMPLE / "eval.jsonl"),
         *args], cwd=cwd or tmp_path, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def gated(tmp_path_factory, suite):  # noqa: ARG001 — the test suite is built once
    """The shipped example predictions evaluated and gated under the smoke policy."""
    tmp = tmp_path_factory.mktemp("evaluate")
    out = tmp / "report"
    done = _evaluate(tmp, "--predictions", str(EXAMPLE / "predictions.jsonl"),
                     "--policy", str(ROOT / "gates" / "smoke.toml"), "--candidate", "example",
                     "--out", str(out))
    return done, out


def test_one_command_writes_every_report_and_exits_with_the_verdict(gated):
    done, out = gated
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for name in ("results.json", "junit.xml", "verdict.json", "scorecard.html"):
        assert (out / name).is_file(), name
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["passed"] is True
    html = (out / "scorecard.html").read_text()
    assert "NO VERDICT" not in html and "PASS" in html


def test_junit_lists_one_case_per_example_and_one_per_gate_rule(gated):
    _, out = gated
    root = ET.parse(out / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    gate = suites["sqlgate gate"]
    verdict = json.loads((out / "verdict.json").read_text())
    assert [c.get("name") for c in gate.findall("testcase")] == [
        r["rule"] for r in verdict["rules"]]
    examples = [c for s in root.findall("testsuite") if s.get("name") != "sqlgate gate"
                for c in s.findall("testcase")]
    assert any("ex-ap-top3" in c.get("name") for c in examples)
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())


def test_failing_policy_exits_1_and_junit_names_the_failed_rule(tmp_path, suite):  # noqa: ARG001
    policy = tmp_path / "strict.toml"
    policy.write_text('[policy]\nname = "strict"\nversion = 1\nmax_unevaluable = 0\n\n'
                      '[[threshold]]\nmetric = "execution_accuracy"\nmin = 0.9\n')
    out = tmp_path / "report"
    done = _evaluate(tmp_path, "--predictions", str(EXAMPLE / "predictions.jsonl"),
                     "--policy", str(policy), "--candidate", "example", "--out", str(out))
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    gate = next(s for s in ET.parse(out / "junit.xml").getroot().findall("testsuite")
                if s.get("name") == "sqlgate gate")
    failed = [c.get("name") for c in gate.findall("testcase") if c.find("failure") is not None]
    assert failed == ["threshold execution_accuracy"]


def test_evaluate_without_answers_is_bad_input(tmp_path):
    done = _evaluate(tmp_path)
    assert done.returncode == 2
    assert "--predictions" in done.stderr


def test_results_as_dataframes(gated):
    from harness.report.results_frame import examples_frame, metrics_frame

    _, out = gated
    results = json.loads((out / "results.json").read_text())
    frame = examples_frame(out / "results.json")
    assert list(frame["id"]) == [e["id"] for e in results["examples"]]
    assert set(frame["candidate"]) == {"example"}
    assert frame["correct"].sum() == sum(e["correct"] for e in results["examples"])
    metrics = metrics_frame(results).set_index("metric")
    accuracy = results["summary"]["execution_accuracy"]
    assert metrics.loc["execution_accuracy", "value"] == accuracy["value"]
    assert metrics.loc["execution_accuracy", "ci_low"] == accuracy["ci95"][0]
    assert "by_domain.AP" in metrics.index


def test_mlflow_run_is_logged_and_reads_back(gated, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    from harness.report.tracking import log_evaluation

    _, out = gated
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"id": "example", "quantized_sha256": "ab" * 32,
                                    "dataset_version": "train-v3"}))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    run_id = log_evaluation(out / "results.json", out / "verdict.json",
                            policy=ROOT / "gates" / "smoke.toml", candidate="example",
                            manifest=manifest, artifacts=[out / "scorecard.html",
                                                          out / "junit.xml"])
    assert (tmp_path / "mlruns").is_dir()  # the default local store
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    run = mlflow.get_run(run_id)
    results = json.loads((out / "results.json").read_text())
    accuracy = results["summary"]["execution_accuracy"]
    assert run.data.metrics["execution_accuracy"] == pytest.approx(accuracy["value"])
    assert run.data.metrics["execution_accuracy.ci_low"] == pytest.approx(accuracy["ci95"][0])
    assert run.data.metrics["gate.passed"] == 1.0
    assert run.data.tags["sqlgate.verdict"] == "PASS"
    assert run.data.tags["candidate.quantized_sha256"] == "ab" * 32
    assert run.data.params["policy.name"] == "smoke"
    from mlflow.tracking import MlflowClient

    logged = {a.path for a in MlflowClient().list_artifacts(run_id)}
    assert {"results.json", "verdict.json", "smoke.toml", "scorecard.html",
            "junit.xml"} <= logged


def test_evaluate_with_mlflow_flag_logs_a_run(tmp_path, suite, monkeypatch):  # noqa: ARG001
    mlflow = pytest.importorskip("mlflow")
    store = tmp_path / "store"
    env_uri = store.as_uri()
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "evaluate", "--eval-set", str(EXAMPLE / "eval.jsonl"),
         "--predictions", str(EXAMPLE / "predictions.jsonl"), "--candidate", "example",
         "--policy", str(ROOT / "gates" / "smoke.toml"), "--out", str(out), "--mlflow"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "MLFLOW_TRACKING_URI": env_uri,
             "MLFLOW_ALLOW_FILE_STORE": "true"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(env_uri)
    runs = mlflow.search_runs(experiment_names=["sqlgate"], output_format="list")
    assert len(runs) == 1 and runs[0].data.tags["sqlgate.candidate"] == "example"


def test_gate_writes_the_scorecard_with_its_verdict(gated, tmp_path):
    _, out = gated
    card = tmp_path / "card.html"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "gate", "--results", str(out / "results.json"),
         "--policy", str(ROOT / "gates" / "offline.toml"), "--html", str(card)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1  # the weak example model fails the offline gate
    html = card.read_text()
    assert "NO VERDICT" not in html and "FAIL" in html
    assert "execution_accuracy" in html


def test_prompts_file_holds_exactly_what_an_evaluation_sends(tmp_path, suite):  # noqa: ARG001
    from tests.fake_openai import fake_openai_app, serve

    prompts_file = tmp_path / "prompts.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "prompts", "--out", str(prompts_file),
         "--eval-set", str(EXAMPLE / "eval.jsonl")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = {r["id"]: r["prompt"] for r in map(json.loads, prompts_file.read_text().splitlines())}
    eval_ids = [json.loads(line)["id"] for line in (EXAMPLE / "eval.jsonl").read_text().splitlines()]
    assert list(written) == eval_ids

    app = fake_openai_app(lambda prompt: "SELECT 1 FROM DUAL")
    with serve(app) as url:
        served = subprocess.run(
            [sys.executable, "-m", "harness", "evaluate", "--eval-set", str(EXAMPLE / "eval.jsonl"),
             "--candidate", "served", "--out", str(tmp_path / "report"), "--",
             "--engine", "openai", f"--base-url={url}", "--model", "served",
             "--no-generation-cache", "-k", "not latency"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert served.returncode in (0, 1), served.stdout[-2000:] + served.stderr[-2000:]
    sent = {r["body"]["messages"][-1]["content"] for r in app.state.requests}
    assert sent == set(written.values())


def test_results_match_the_published_json_schema(gated):
    jsonschema = pytest.importorskip("jsonschema")
    from harness.scoring.results import results_json_schema

    published = json.loads((ROOT / "docs" / "schemas" / "results.schema.json").read_text())
    # The file in docs/ is the schema the code generates (regenerate it with
    # `python -m harness.scoring.results > docs/schemas/results.schema.json`).
    assert published == results_json_schema()
    _, out = gated
    results = json.loads((out / "results.json").read_text())
    jsonschema.validate(results, published)
    results["examples"][0]["correct"] = 1  # an integer is not a boolean
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(results, published)
