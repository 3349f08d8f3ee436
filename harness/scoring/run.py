"""Scoring an eval set end to end: load inputs, score every example, write results.json."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from harness import __version__
from harness.backends.base import ExecutionBackend
from harness.inputs.catalog import Catalog, load_catalog
from harness.inputs.golden import EvalSet, Prediction, load_eval_set, load_predictions
from harness.io.atomic import write_text_atomic
from harness.io.errors import InputError, describe_validation_error, pydantic_field
from harness.io.redact import redact, redact_data
from harness.scoring.gold_cache import GoldCache
from harness.scoring.metrics import summarize
from harness.scoring.scorer import INFRA_STATUS, STATUSES, ExampleScore, Scorer, ScoringSettings


@dataclass
class ScoreRun:
    """The outcome of scoring one predictions file against one eval set."""

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
    # With --rerun-infra: {"from": previous results.json, "kept": n, "rescored": m}.
    rerun_infra: dict | None = None

    def to_json(self) -> dict:
        """results.json (contract 4, docs/contracts.md): `summary` and one entry per eval example."""
        summary = dict(self.summary)
        summary["run"] = {
            "sqlgate_version": __version__,
            "eval_set": self.eval_set.path,
            "eval_set_sha256": self.eval_set.sha256,
            "backend": self.backend,
            "instances": self.instances,
            "unknown_prediction_ids": self.unknown_prediction_ids,
            "seconds": round(self.seconds, 3),
            "db_seconds": round(self.db_seconds, 3),
            "gold_cache": {"hits": self.gold_cache_hits, "misses": self.gold_cache_misses},
            # Every example scored, none left to an infrastructure failure (`infra_errors`).
            "complete": (len(self.scores) == len(self.eval_set.examples)
                         and not self.summary.get("infra_errors")),
        }
        if self.rerun_infra is not None:
            summary["run"]["rerun_infra"] = self.rerun_infra
        return {"summary": summary, "examples": [s.to_json() for s in self.scores]}


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


def score_predictions(
    eval_set_path: Path,
    predictions_path: Path,
    *,
    backends: list[ExecutionBackend],
    catalog: Catalog | None = None,
    gold_cache: GoldCache | None = None,
    settings: ScoringSettings | None = None,
    on_example: Callable[[ExampleScore], None] | None = None,
    rerun_infra: Path | None = None,
) -> ScoreRun:
    """Score every example of the eval set; a missing prediction scores as `missing`.

    With `rerun_infra` (a previous results.json of the same eval set, predictions, test suite
    and sqlgate version), its verdicts are kept and only its `infra_error` examples (and any it
    did not score) are scored again.
    """
    start = time.perf_counter()
    eval_set = load_eval_set(eval_set_path)
    predictions: dict[str, Prediction] = load_predictions(predictions_path, eval_set)
    catalog = catalog or load_catalog()
    gold_cache = gold_cache or GoldCache()
    scorer = Scorer(catalog, backends, gold_cache, settings or ScoringSettings())
    known = {e.id for e in eval_set.examples}
    kept = {} if rerun_infra is None else previous_verdicts(
        rerun_infra, eval_set, backends, predictions, predictions_path)
    scores = []
    for example in eval_set.examples:
        score = kept.get(example.id) or scorer.score(example, predictions.get(example.id))
        scores.append(score)
        if on_example:
            on_example(score)
    return ScoreRun(
        eval_set=eval_set,
        scores=scores,
        summary=summarize(scores),
        unknown_prediction_ids=sorted(set(predictions) - known),
        backend=backends[0].name,
        instances=[b.instance_id for b in backends],
        seconds=time.perf_counter() - start,
        db_seconds=scorer.db_seconds,
        gold_cache_hits=gold_cache.hits,
        gold_cache_misses=gold_cache.misses,
        rerun_infra=None if rerun_infra is None else {
            "from": str(rerun_infra), "kept": len(kept), "rescored": len(scores) - len(kept)},
    )


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
        try:
            score = _EXAMPLE_SCORE.validate_json(json.dumps(entry), strict=True)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = pydantic_field(("examples", index, *err["loc"]))
            raise InputError(path, describe_validation_error(err), field=where) from None
        if score.status not in STATUSES or score.id not in known:
            what = "status" if score.status not in STATUSES else "id"
            raise InputError(path, f"unknown {what} {getattr(score, what)!r}",
                             field=f"examples[{index}].{what}")
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


def write_results(run: ScoreRun, path: Path) -> None:
    """Write results.json atomically (a crash never leaves half a file), secrets redacted."""
    write_text_atomic(path, json.dumps(redact_data(run.to_json()), indent=1, default=str) + "\n")
