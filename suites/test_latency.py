"""Latency suite: the closed-loop load test against the served candidate (``--base-url``).

Skipped without ``--base-url``. Runs ``--latency-sweep`` (default: ``--concurrency``, 4)
concurrent users, ``--latency-requests`` measured requests per user after one warm-up each,
prompts from the golden set with production-sized RAG contexts; writes ``latency.json`` (every
concurrency, with the samples) to the output directory and hands the gate's concurrency to the
evaluation run, whose results.json carries it as ``summary.latency``.
"""

import json
from pathlib import Path

import pytest

from harness.serving.latency import gate_summary


def _option(config: pytest.Config, name: str, default):
    value = config.getoption(name, default=None)
    return default if value is None else value


def test_latency(request):
    from harness.inputs.catalog import load_catalog
    from harness.inputs.golden import load_eval_set
    from harness.serving.load_generator import latency_prompts, run_sweep

    config = request.config
    base_url = config.getoption("base_url", default=None)
    if not base_url:
        pytest.skip("no --base-url: the latency suite measures a running server")
    candidate = config.getoption("candidate")
    model = config.getoption("model") or candidate
    users = int(_option(config, "concurrency", 4))
    sweep = [int(c) for c in str(_option(config, "latency_sweep", users)).split(",")]
    per_user = int(_option(config, "latency_requests", 8))
    questions = [e.question for e in load_eval_set(
        config.rootpath / "fixtures/golden/ebs_core.jsonl").examples]
    prompts = latency_prompts(load_catalog(), questions, sum(c * (per_user + 1) for c in sweep))
    summaries = run_sweep(base_url, model, prompts, concurrencies=sweep,
                          requests_per_user=per_user,
                          timeout_s=float(_option(config, "request_timeout", 120.0)))
    out = Path(config.getoption("sqlgate_out") or config.rootpath / "reports" / candidate)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latency.json").write_text(json.dumps(summaries, indent=1) + "\n", encoding="utf-8")
    gated = summaries.get(str(users)) or summaries[str(sweep[-1])]
    from harness.pytest_plugin import LATENCY_KEY

    config.stash[LATENCY_KEY] = gated
    failed = {c: s["errors"] + s["timeouts"] for c, s in summaries.items()
              if s["errors"] + s["timeouts"]}
    assert not failed, f"failed or timed-out requests by concurrency: {failed}"
    assert gated["samples"] > 0, "no request succeeded"
    assert gate_summary(gated)["p95_e2e_ms"] is not None
