"""Scoring an eval set end to end: load inputs, score every example, write results.json."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from harness import __version__
from harness.backends.base import ExecutionBackend
from harness.inputs.catalog import Catalog, load_catalog
from harness.inputs.golden import (
    EvalSet,
    GoldenExample,
    Prediction,
    load_eval_set,
    load_predictions,
)
from harness.io.atomic import write_text_atomic
from harness.io.errors import InputError, describe_validation_error, pydantic_field
from harness.io.redact import redact, redact_data
from harness.scoring.gold_cache import GoldCache
from harness.scoring.metrics import summarize
from harness.scoring.results import (
    CacheCounts,
    ExampleRecord,
    RerunInfra,
    ResultsFile,
    RunInfo,
    Summary,
)
from harness.scoring.scorer import ExampleScore, Scorer, ScoringSettings
from harness.scoring.status import INFRA_STATUS, Status

STATUS_VALUES = tuple(s.value for s in Status)


@dataclass(frozen=True)
class SuiteFacts:
    """What a pytest-suite run adds to `summary.run` (harness.pytest_plugin)."""

    candidate: str
    engine: str
    engine_fingerprint: str | None
    deselected: int
    stopped: bool  # -x, an error or an interruption ended the session early
    generation_cache: CacheCounts | None = None


@dataclass
class ScoreRun:
    """The outcome of scoring one predictions file against one eval set.

    `sqlgate score` and the pytest suites both build it (`ScoreRun.collect`) and write
    `to_results()`; the suites add `suite`, and after a served run `guardrail`/`latency`.
    """

    eval_set: EvalSet
    scores: list[ExampleScore]
    summary: dict
    unknown_prediction_ids: list[str]
    backend: str
    instances: list[str]
    seconds: float
    db_seconds: float
    gold_cache_hits: int
    gold_cache_misses: int
    # With --rerun-infra: the previous results.json, verdicts kept, examples scored again.
    rerun_infra: RerunInfra | None = None
    suite: SuiteFacts | None = None
    guardrail: dict | None = None  # summary.guardrail: the guardrail's retry figures
    latency: dict | None = None  # summary.latency: the latency suite's gated figures

    @classmethod
    def collect(cls, eval_set: EvalSet, scores: list[ExampleScore], scorer: Scorer | None,
                *, backend: str, seconds: float, **rest: Any) -> ScoreRun:
        """The run of `scores` (in eval-set order) measured by `scorer` (None: nothing was
        scored); `backend` names the backend when no scorer opened one."""
        backends = scorer.backends if scorer is not None else []
        return cls(
            eval_set=eval_set, scores=scores, summary=summarize(scores),
            unknown_prediction_ids=rest.pop("unknown_prediction_ids", []),
            backend=backends[0].name if backends else backend,
            instances=[b.instance_id for b in backends], seconds=seconds,
            db_seconds=scorer.db_seconds if scorer else 0.0,
            gold_cache_hits=scorer.gold_cache.hits if scorer else 0,
            gold_cache_misses=scorer.gold_cache.misses if scorer else 0, **rest)

    def run_info(self) -> RunInfo:
        """`summary.run`: the run manifest."""
        complete = (len(self.scores) == len(self.eval_set.examples)
                    and not self.summary.get("infra_errors"))
        facts: dict[str, Any] = {}
        if self.rerun_infra is not None:
            facts["rerun_infra"] = self.rerun_infra
        if self.suite is not None:
            complete = complete and not self.suite.deselected and not self.suite.stopped
            facts.update(deselected=self.suite.deselected, candidate=self.suite.candidate,
                         engine=self.suite.engine,
                         engine_fingerprint=self.suite.engine_fingerprint)
            if self.suite.generation_cache is not None:
                facts["generation_cache"] = self.suite.generation_cache
        return RunInfo(
            sqlgate_version=__version__, eval_set=self.eval_set.path,
            eval_set_sha256=self.eval_set.sha256, backend=self.backend,
            instances=self.instances, unknown_prediction_ids=self.unknown_prediction_ids,
            seconds=round(self.seconds, 3), db_seconds=round(self.db_seconds, 3),
            gold_cache=CacheCounts(hits=self.gold_cache_hits, misses=self.gold_cache_misses),
            complete=complete, **facts)

    def to_results(self) -> ResultsFile:
        """results.json (contract 4, docs/contracts.md) as its model: `summary` and one entry
        per eval example; building it checks every example against the contract."""
        served = {k: v for k, v in (("guardrail", self.guardrail), ("latency", self.latency))
                  if v is not None}
        return ResultsFile(
            summary=Summary.model_validate(
                {**self.summary, "run": self.run_info().to_json(), **served}),
            examples=[ExampleRecord.model_validate(s.to_json()) for s in self.scores])

    def to_json(self) -> dict:
        """results.json as written: `to_results()` dumped, unset optional keys left out."""
        return self.to_results().model_dump(mode="json", by_alias=True, exclude_unset=True)


def duckdb_backends(catalog: Catalog, k: int | None, progress: bool) -> list[ExecutionBackend]:
    """Open the K embedded test-suite instances (building them first if not cached)."""
    from harness.backends.duckdb_backend import DuckDBBackend, DuckDBPreparer
    from harness.datagen import build_test_suite

    instances = build_test_suite(catalog, k=k, progress=progress)
    preparer = DuckDBPreparer(catalog.column_types())
    return [DuckDBBackend(i.path, i.fingerprint, preparer=preparer) for i in instances]


def oracle_backends() -> list[ExecutionBackend]:
    """The one Oracle database named by SQLGATE_ORACLE_DSN (a test suite of one)."""
    from harness.backends.oracle_backend import OracleBackend

    return [OracleBackend.from_env()]


@dataclass
class EvalScoring:
    """One eval set being scored: each example scored once, by one Scorer, from its answer.

    The one scoring path of `sqlgate score` (which scores every example in order) and of the
    pytest suites (which score an example when its first test item asks); `kept` verdicts (a
    --rerun-infra) are taken as they are. `run()` is the ScoreRun of what was scored.
    """

    eval_set: EvalSet
    scorer: Scorer
    predictions: Mapping[str, Prediction | None]
    kept: Mapping[str, ExampleScore] = field(default_factory=dict)
    scores: dict[str, ExampleScore] = field(default_factory=dict)

    def score(self, example: GoldenExample) -> ExampleScore:
        """The example's score, computed the first time it is asked for."""
        if example.id not in self.scores:
            self.scores[example.id] = self.kept.get(example.id) or self.scorer.score(
                example, self.predictions.get(example.id))
        return self.scores[example.id]

    def run(self, *, seconds: float, **facts: Any) -> ScoreRun:
        """The ScoreRun of the examples scored so far, in the eval set's order."""
        scored = [self.scores[e.id] for e in self.eval_set.examples if e.id in self.scores]
        return ScoreRun.collect(self.eval_set, scored, self.scorer,
                                backend=self.scorer.backends[0].name, seconds=seconds, **facts)


def score_predictions(
    eval_set_path: Path | EvalSet,
    predictions_path: Path,
    *,
    backends: list[ExecutionBackend],
    catalog: Catalog | None = None,
    gold_cache: GoldCache | None = None,
    settings: ScoringSettings | None = None,
    on_example: Callable[[ExampleScore], None] | None = None,
    rerun_infra: Path | None = None,
) -> ScoreRun:
    """Score every example of the eval set (a path, or the set already loaded); a missing
    prediction scores as `missing`.

    With `rerun_infra` (a previous results.json of the same eval set, predictions, test suite
    and sqlgate version), its verdicts are kept and only its `infra_error` examples (and any it
    did not score) are scored again.
    """
    start = time.perf_counter()
    eval_set = (eval_set_path if isinstance(eval_set_path, EvalSet)
                else load_eval_set(eval_set_path))
    predictions: dict[str, Prediction] = load_predictions(predictions_path, eval_set)
    catalog = catalog or load_catalog()
    gold_cache = gold_cache or GoldCache()
    scorer = Scorer(catalog, backends, gold_cache, settings or ScoringSettings())
    known = {e.id for e in eval_set.examples}
    kept = {} if rerun_infra is None else previous_verdicts(
        rerun_infra, eval_set, backends, predictions, predictions_path)
    scoring = EvalScoring(eval_set, scorer, predictions, kept)
    for example in eval_set.examples:
        score = scoring.score(example)
        if on_example:
            on_example(score)
    return scoring.run(
        seconds=time.perf_counter() - start,
        unknown_prediction_ids=sorted(set(predictions) - known),
        rerun_infra=None if rerun_infra is None else RerunInfra(
            from_=str(rerun_infra), kept=len(kept), rescored=len(eval_set.examples) - len(kept)))


_EXAMPLE_SCORE = TypeAdapter(ExampleScore)


def previous_verdicts(path: Path, eval_set: EvalSet, backends: list[ExecutionBackend],
                      predictions: dict[str, Prediction],
                      predictions_path: Path) -> dict[str, ExampleScore]:
    """The verdicts of a previous results.json that a rerun keeps: all but `infra_error`.

    Kept verdicts are only as good as the run they came from, so the previous run must have
    scored the same eval set (hash), on the same backend and instances (fingerprints), with
    the same sqlgate version, and the same answers (a changed prediction is refused: score
    the whole file again instead). Each example is read with the strict schema of
    ExampleScore (`correct` a boolean, known status).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not a results.json: {exc}") from None
    run = data.get("summary", {}).get("run") if isinstance(data, dict) else None
    if not isinstance(run, dict) or not isinstance(data.get("examples"), list):
        raise InputError(path, "not a results.json: needs summary.run and examples")
    expected = {"eval_set_sha256": eval_set.sha256, "backend": backends[0].name,
                "instances": [b.instance_id for b in backends],
                "sqlgate_version": __version__}
    for key, value in expected.items():
        if run.get(key) != value:
            raise InputError(path, f"was scored with another {key.replace('_', ' ')} "
                             f"({run.get(key)!r}, this run: {value!r}); only a run of the "
                             "same eval set, test suite and sqlgate can be completed",
                             field=f"summary.run.{key}")
    known = {e.id for e in eval_set.examples}
    kept: dict[str, ExampleScore] = {}
    for index, entry in enumerate(data["examples"]):
        status = entry.get("status") if isinstance(entry, dict) else None
        if isinstance(status, str) and status not in STATUS_VALUES:
            raise InputError(path, f"unknown status {status!r}; expected one of "
                             + ", ".join(STATUS_VALUES), field=f"examples[{index}].status")
        try:
            score = _EXAMPLE_SCORE.validate_json(json.dumps(entry), strict=True)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = pydantic_field(("examples", index, *err["loc"]))
            raise InputError(path, describe_validation_error(err), field=where) from None
        if score.id not in known:
            raise InputError(path, f"unknown id {score.id!r}", field=f"examples[{index}].id")
        if score.status == INFRA_STATUS:
            continue
        prediction = predictions.get(score.id)
        answer = None if prediction is None else redact(prediction.sql)
        if prediction is not None and prediction.engine_error is not None:
            answer = None
        if answer != score.predicted_sql:
            raise InputError(predictions_path, f"the answer to {score.id!r} is not the one "
                             f"{path} scored; --rerun-infra completes a run, it does not "
                             "mix two: score the whole predictions file again", field="sql")
        kept[score.id] = score
    return kept


def write_results(results: ScoreRun | dict, path: Path) -> None:
    """Write results.json (a run, or its `to_json()`) atomically (a crash never leaves half a
    file), secrets redacted."""
    data = results.to_json() if isinstance(results, ScoreRun) else results
    write_text_atomic(path, json.dumps(redact_data(data), indent=1, default=str) + "\n")
