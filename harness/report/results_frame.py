"""results.json as pandas DataFrames, for notebooks.

``examples_frame`` has one row per scored example (every field of results.json's ``examples``,
plus ``candidate`` and ``eval_set_sha256`` from the run, so frames of several runs concatenate
and compare); ``metrics_frame`` has one row per summary rate (value, n, successes, interval).

    from harness.report.results_frame import examples_frame
    df = examples_frame("reports/my-model/results.json")
    df.groupby(["domain", "status"]).size()
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.io.errors import InputError
from harness.io.jsonl import read_json_object
from harness.scoring.metrics import summary_leaves


def _results(results: dict | str | Path) -> dict:
    data = results if isinstance(results, dict) else read_json_object(results, "results")
    if not isinstance(data.get("examples"), list):
        raise InputError(None if isinstance(results, dict) else results,
                         "expected results.json with a list of examples", field="examples")
    return data


def examples_frame(results: dict | str | Path) -> pd.DataFrame:
    """One row per example of a results.json (a path or the parsed dict)."""
    data = _results(results)
    run = (data.get("summary") or {}).get("run") or {}
    frame = pd.DataFrame.from_records(data["examples"])
    frame.insert(0, "candidate", run.get("candidate"))
    frame.insert(1, "eval_set_sha256", run.get("eval_set_sha256"))
    return frame


def metrics_frame(results: dict | str | Path) -> pd.DataFrame:
    """One row per rate of the summary: metric, value, n, successes, ci_low, ci_high."""
    summary = _results(results).get("summary") or {}
    rows = []
    for name, node in summary_leaves(summary):
        if isinstance(node, dict) and "n" in node:
            ci = node.get("ci95") or (None, None)
            rows.append({"metric": name, "value": node.get("value"), "n": node.get("n"),
                         "successes": node.get("successes"), "ci_low": ci[0], "ci_high": ci[1]})
    return pd.DataFrame(rows, columns=["metric", "value", "n", "successes", "ci_low", "ci_high"])
