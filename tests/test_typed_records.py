"""Typed records at the seams (issue #19): the Status enum through results.json, the metric
registry against every reader of the summary, the run manifest, the engine registry."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.engines import (
    ENGINE_REGISTRY,
    ENGINES,
    EngineOptions,
    engine_spec,
    engines_help,
    make_engine,
)
from harness.gate.policy import PAIRED_METRICS, metric_problem
from harness.inputs.golden import EvalSet
from harness.report.results_frame import metrics_frame
from harness.report.scorecard import HEADLINE_METRICS, LOWER_IS_BETTER, TEXT_METRICS
from harness.report.tracking import summary_metrics
from harness.scoring.metrics import METRIC_NAMES, METRICS, metric_spec, summarize
from harness.scoring.results import ExampleRecord, RunInfo, validate_results
from harness.scoring.run import ScoreRun, SuiteFacts, previous_verdicts
from harness.scoring.scorer import ExampleScore
from harness.scoring.status import INFRA_STATUS, Status


def _score(i: int, status: Status, kind: str, domain: str) -> ExampleScore:
    correct = status is Status.CORRECT or (status is Status.REFUSED and kind == "unanswerable")
    return ExampleScore(id=f"ex{i}", correct=correct, status=status, reason="", kind=kind,
                        domain=domain, difficulty="easy", parsed=status is Status.CORRECT,
                        refused=status is Status.REFUSED)


def _eval_set(n: int) -> EvalSet:
    # ScoreRun reads only the set's path, hash and size.
    return EvalSet.model_construct(path="e.jsonl", sha256="ab" * 32, examples=(None,) * n)


scores_lists = st.lists(
    st.tuples(st.sampled_from(list(Status)), st.sampled_from(["answerable", "unanswerable"]),
              st.sampled_from(["AP", "GL"])),
    max_size=12).map(lambda rows: [_score(i, *row) for i, row in enumerate(rows)])


@given(scores_lists)
def test_statuses_round_trip_through_results_json_as_their_strings(scores):
    run = ScoreRun.collect(_eval_set(len(scores)), scores, None, backend="duckdb", seconds=1.0)
    text = json.dumps(run.to_json())
    data = json.loads(text)
    assert [e["status"] for e in data["examples"]] == [s.status.value for s in scores]
    assert set(data["summary"]["status_counts"]) <= {s.value for s in Status}
    assert validate_results(data, "r.json") is data  # the gate accepts what the writer wrote
    read = [ExampleRecord.model_validate(e).status for e in data["examples"]]
    assert read == [s.status for s in scores] and all(isinstance(r, Status) for r in read)


def test_an_unknown_status_is_refused_naming_the_choices(tmp_path):
    scores = [_score(0, Status.CORRECT, "answerable", "AP")]
    data = ScoreRun.collect(_eval_set(1), scores, None, backend="duckdb", seconds=0).to_json()
    data["examples"][0]["status"] = "corect"
    with pytest.raises(Exception, match="examples\\[0\\].status.*'correct'.*'infra_error'"):
        validate_results(data, "r.json")


def test_previous_verdicts_read_back_status_members(tmp_path):
    from harness.inputs.golden import GoldenExample

    example = GoldenExample.model_validate(
        {"id": "ex0", "question": "How many invoices?", "sql_gold": "SELECT 1 FROM DUAL",
         "domain": "AP", "difficulty": "easy", "kind": "answerable"})
    eval_set = EvalSet(path="e.jsonl", sha256="ab" * 32, examples=(example,))
    score = _score(0, Status.REFUSED, "answerable", "AP")
    backend = type("B", (), {"name": "duckdb", "instance_id": "i0"})()
    run = ScoreRun.collect(eval_set, [score], None, backend="duckdb", seconds=0)
    data = run.to_json()
    data["summary"]["run"]["instances"] = ["i0"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    kept = previous_verdicts(path, eval_set, [backend], {}, tmp_path / "p.jsonl")
    assert kept["ex0"].status is Status.REFUSED


def test_registry_is_the_summary_and_the_gate_names_exactly_it():
    assert list(summarize([])) == [m.name for m in METRICS]
    for m in METRICS:
        name = f"{m.name}.AP" if m.kind == "breakdown" else m.name
        assert metric_problem(name, "value") is None, m.name
        for use in ("ci_low", "ci_high"):
            if m.kind != "breakdown":
                assert (metric_problem(name, use) is None) == (m.ci == "wilson"), (m.name, use)
    problem = metric_problem("execution_acuracy", "value")
    assert all(m.name in problem for m in METRICS)
    assert set(PAIRED_METRICS) <= set(METRIC_NAMES)


def test_scorecard_and_cli_read_the_registry():
    assert set(HEADLINE_METRICS) | set(TEXT_METRICS) == {m.name for m in METRICS if m.headline}
    assert all(METRIC_NAMES[m].kind == "rate" for m in HEADLINE_METRICS)
    assert {m.name for m in METRICS if m.direction == "lower"} == LOWER_IS_BETTER
    assert "false_refusal_rate" in LOWER_IS_BETTER and "execution_accuracy" not in LOWER_IS_BETTER
    with pytest.raises(KeyError, match="unknown metric 'acc'.*execution_accuracy"):
        metric_spec("acc")


@given(scores_lists)
def test_tracking_and_the_frame_walk_the_same_rates(scores):
    summary = summarize(scores)
    frame = metrics_frame({"summary": {**summary, "run": {"seconds": 1}}, "examples": []})
    tracked = dict(summary_metrics({**summary, "run": {"seconds": 1}}))
    rated = set(frame["metric"])
    assert {n for n in rated if "." not in n} == {
        m.name for m in METRICS if m.kind in ("rate", "mean")}
    valued = set(frame.loc[frame["value"].notna(), "metric"])
    assert valued == {n for n in tracked if n in rated}  # tracking also logs the bare counts
    assert {n[:-7] for n in tracked if n.endswith(".ci_low")} == set(
        frame.loc[frame["ci_low"].notna(), "metric"])
    assert not any(n.startswith("run") for n in tracked)


def test_the_run_manifest_has_suite_fields_only_in_a_suite_run():
    scores = [_score(0, Status.CORRECT, "answerable", "AP")]
    plain = ScoreRun.collect(_eval_set(1), scores, None, backend="duckdb", seconds=0.5)
    run = plain.to_json()["summary"]["run"]
    assert run["complete"] is True and "candidate" not in run and "rerun_infra" not in run
    assert RunInfo.model_validate(run).gold_cache.hits == 0
    suite = ScoreRun.collect(
        _eval_set(1), scores, None, backend="duckdb", seconds=0.5,
        suite=SuiteFacts(candidate="m", engine="replay", engine_fingerprint=None,
                         deselected=2, stopped=False),
        guardrail={"retry_rate": 0.0})
    results = suite.to_json()
    info = results["summary"]["run"]
    assert info["complete"] is False and info["deselected"] == 2
    assert info["engine_fingerprint"] is None and "generation_cache" not in info
    assert results["summary"]["guardrail"] == {"retry_rate": 0.0}
    assert "latency" not in results["summary"]


def test_infra_errors_make_a_run_incomplete():
    scores = [_score(0, INFRA_STATUS, "answerable", "AP")]
    info = ScoreRun.collect(_eval_set(1), scores, None, backend="duckdb", seconds=0).run_info()
    assert info.complete is False


def test_engine_registry_drives_make_engine_and_its_errors(tmp_path):
    assert ENGINES == tuple(ENGINE_REGISTRY) == ("replay", "openai", "hf", "vllm")
    with pytest.raises(ValueError, match="unknown engine 'gpt'; expected one of replay, "
                                         "openai, hf, vllm"):
        make_engine("gpt")
    with pytest.raises(ValueError, match="--engine openai needs --base-url URL and --model"):
        make_engine("openai")
    help_text = engines_help()
    assert all(name in help_text for name in ENGINES)
    assert engine_spec("hf").requires == ("--model PATH",)
    assert all(hasattr(EngineOptions(), flag.split()[0][2:].replace("-", "_"))
               for spec in ENGINE_REGISTRY.values() for flag in spec.requires)
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "a", "sql": "SELECT 1 FROM DUAL"}\n')
    assert make_engine("replay", predictions=predictions).predictions["a"].sql.startswith("SELECT")


class _CountingScorer:
    """Stands in for Scorer: scores every answer `wrong_result` and counts the calls."""

    def __init__(self):
        self.calls = []
        self.backends = [type("B", (), {"name": "duckdb", "instance_id": "i0"})()]
        self.db_seconds = 0.25
        self.gold_cache = type("C", (), {"hits": 3, "misses": 1})()

    def score(self, example, prediction):
        self.calls.append(example.id)
        return _score(len(self.calls), Status.WRONG_RESULT, "answerable", "AP")


def test_eval_scoring_scores_each_example_once_and_keeps_kept_verdicts():
    from harness.inputs.golden import GoldenExample
    from harness.scoring.run import EvalScoring

    examples = tuple(GoldenExample.model_validate(
        {"id": f"ex{i}", "question": "How many invoices?", "sql_gold": "SELECT 1 FROM DUAL",
         "domain": "AP", "difficulty": "easy", "kind": "answerable"}) for i in range(3))
    eval_set = EvalSet(path="e.jsonl", sha256="ab" * 32, examples=examples)
    kept = _score(9, Status.CORRECT, "answerable", "AP")
    scorer = _CountingScorer()
    scoring = EvalScoring(eval_set, scorer, {}, kept={"ex1": kept})
    for example in (examples[2], examples[0], examples[2], examples[1]):
        scoring.score(example)
    assert scorer.calls == ["ex2", "ex0"]  # once each; the kept verdict is not rescored
    run = scoring.run(seconds=1.0)
    assert [s.status for s in run.scores] == [Status.WRONG_RESULT, Status.CORRECT,
                                              Status.WRONG_RESULT]
    info = run.run_info()
    assert info.complete and info.instances == ["i0"] and info.gold_cache.hits == 3
