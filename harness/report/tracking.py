"""One evaluation as an MLflow run: metrics with their intervals, the verdict, the policy and
the reports, tagged with what the candidate is (its manifest's hashes).

Where runs go: ``MLFLOW_TRACKING_URI`` when set (a team's server, ``http://…``, or any store
MLflow knows), else a local file store ``./mlruns`` beside the command. MLflow 3 keeps the file
store in maintenance mode and refuses it unless ``MLFLOW_ALLOW_FILE_STORE`` is true: sqlgate
sets that only for its own default, so a local run works with the light ``mlflow-skinny``
(the ``[mlflow]`` extra) and ``mlflow ui --backend-store-uri ./mlruns`` reads it. The
experiment is ``MLFLOW_EXPERIMENT_NAME`` or ``sqlgate``.

What one run holds:
- metrics: every rate of ``summary`` as ``<name>`` with ``<name>.ci_low``/``<name>.ci_high``
  (its 95 % Wilson interval), nested ones dotted (``by_domain.AP``, ``latency.p95_e2e_ms``),
  bare counts as they are, and ``gate.passed`` (1 or 0) when a verdict exists;
- params: the policy's name, version and sha256, the eval set's sha256, the backend;
- tags: ``sqlgate.candidate``, ``sqlgate.verdict`` (PASS/FAIL/NO VERDICT) and the manifest's
  ``adapter_sha256``/``merged_sha256``/``quantized_sha256``/``dataset_version``/``code_git_sha``/
  ``base_model`` as ``candidate.<key>``;
- artifacts: results.json, verdict.json, the policy file, and what the caller adds (the
  scorecard, the JUnit file).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness.io.errors import InputError
from harness.io.jsonl import read_json_object
from harness.scoring.metrics import summary_leaves

DEFAULT_STORE = "mlruns"
DEFAULT_EXPERIMENT = "sqlgate"
MANIFEST_TAGS = ("base_model", "adapter_sha256", "merged_sha256", "quantized_sha256",
                 "dataset_version", "code_git_sha")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def summary_metrics(summary: dict) -> Iterator[tuple[str, float]]:
    """(name, value) for every number of a results summary: a rate gives its value and its
    interval bounds; ``run`` (facts of the run, not measurements) is left out."""
    for name, node in summary_leaves(summary):
        if not isinstance(node, dict):
            value = _number(node)
            if value is not None:
                yield name, value
            continue
        value = _number(node.get("value"))
        if value is not None:
            yield name, value
        ci = node.get("ci95")
        if isinstance(ci, list | tuple) and len(ci) == 2:
            for bound, label in zip(ci, ("ci_low", "ci_high"), strict=True):
                number = _number(bound)
                if number is not None:
                    yield f"{name}.{label}", number


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI, or the local file store ./mlruns (allowed explicitly)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return (Path.cwd() / DEFAULT_STORE).resolve().as_uri()


def log_evaluation(results: Path, verdict: Path | None = None, *, policy: Path | None = None,
                   candidate: str | None = None, manifest: Path | None = None,
                   artifacts: Sequence[Path] = ()) -> str:
    """Log one evaluation to MLflow; returns the run id. Raises InputError on unreadable
    inputs and when MLflow is not installed."""
    try:
        import mlflow
    except ImportError:
        raise InputError(results, "--mlflow needs MLflow: pip install 'sqlgate[mlflow]'"
                         ) from None
    data = read_json_object(results, "results")
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    run_info = summary.get("run") if isinstance(summary.get("run"), dict) else {}
    verdict_data = read_json_object(verdict, "verdict") if verdict is not None else None
    manifest_data = (read_json_object(manifest, "manifest")
                     if manifest is not None and manifest.is_file() else {})
    candidate = candidate or run_info.get("candidate") or manifest_data.get("id") or "candidate"

    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT)
    with mlflow.start_run(run_name=str(candidate)) as active:
        mlflow.log_metrics(dict(summary_metrics(summary)))
        params = {"eval_set_sha256": run_info.get("eval_set_sha256"),
                  "backend": run_info.get("backend"), "engine": run_info.get("engine")}
        tags = {"sqlgate.candidate": str(candidate), "sqlgate.verdict": "NO VERDICT"}
        if verdict_data is not None:
            passed = verdict_data.get("passed") is True
            mlflow.log_metric("gate.passed", 1.0 if passed else 0.0)
            tags["sqlgate.verdict"] = "PASS" if passed else "FAIL"
            policy_facts = verdict_data.get("policy") or {}
            params.update({f"policy.{k}": policy_facts.get(k)
                           for k in ("name", "version", "sha256")})
        for key in MANIFEST_TAGS:
            if manifest_data.get(key):
                tags[f"candidate.{key}"] = str(manifest_data[key])
        mlflow.log_params({k: v for k, v in params.items() if v is not None})
        mlflow.set_tags(tags)
        for path in (results, verdict, policy, *artifacts):
            if path is not None and Path(path).is_file():
                mlflow.log_artifact(str(path))
        return active.info.run_id
