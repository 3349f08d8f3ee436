"""Scoring an eval set end to end: load inputs, score every example, write results.json."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import __version__
from harness.atomic import write_text_atomic
from harness.backends.base import ExecutionBackend
from harness.catalog import Catalog, load_catalog
from harness.gold_cache import GoldCache
from harness.golden import EvalSet, Prediction, load_eval_set, load_predictions
from harness.metrics import summarize
from harness.redact import redact_data
from harness.scoring import ExampleScore, Scorer, ScoringSettings


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

    def to_json(self) -> dict:
        """results.json (contract 4): `summary` and one entry per eval example."""
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
) -> ScoreRun:
    """Score every example of the eval set; a missing prediction scores as `missing`."""
    start = time.perf_counter()
    eval_set = load_eval_set(eval_set_path)
    predictions: dict[str, Prediction] = load_predictions(predictions_path, eval_set)
    catalog = catalog or load_catalog()
    gold_cache = gold_cache or GoldCache()
    scorer = Scorer(catalog, backends, gold_cache, settings or ScoringSettings())
    known = {e.id for e in eval_set.examples}
    scores = []
    for example in eval_set.examples:
        score = scorer.score(example, predictions.get(example.id))
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
    )


def write_results(run: ScoreRun, path: Path) -> None:
    """Write results.json atomically (a crash never leaves half a file), secrets redacted."""
    write_text_atomic(path, json.dumps(redact_data(run.to_json()), indent=1, default=str) + "\n")
