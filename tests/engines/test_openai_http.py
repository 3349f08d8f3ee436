"""The OpenAI-compatible engine against a fake server: retries, bounded concurrency, timeout."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.engines import EngineError, SamplingParams
from harness.engines.openai_http import API_KEY_ENV, OpenAIEngine
from tests.engines.fake_openai import FakeOpenAI

pytest_plugins = ["pytester"]
PARAMS = SamplingParams()


def test_retries_after_429_and_keeps_order(monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "sk-secret-value")
    with FakeOpenAI(failures=[429], answer=lambda p: f"SELECT '{p}' FROM DUAL") as server:
        engine = OpenAIEngine(server.url, "cand", backoff_s=0.01)
        out = engine.generate(["a", "b", "c"], PARAMS)
    assert [g.text for g in out] == [f"SELECT '{p}' FROM DUAL" for p in "abc"]
    assert len(server.prompts) == 4  # one 429, retried
    assert (out[0].prompt_tokens, out[0].completion_tokens) == (1, 4)
    assert all(g.seconds > 0 and g.ttft_s is None for g in out)
    assert set(server.authorizations) == {"Bearer sk-secret-value"}
    assert "sk-secret" not in repr(engine)


def test_retries_5xx_then_gives_up_without_leaking_the_key(monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "sk-secret-value")
    with FakeOpenAI(failures=[503, 502, 500]) as server:
        engine = OpenAIEngine(server.url, "cand", max_retries=2, backoff_s=0.01)
        with pytest.raises(EngineError, match="gave up after 3 attempts: HTTP 500") as err:
            engine.generate(["q"], PARAMS)
    assert "sk-secret" not in str(err.value)


def test_client_errors_are_not_retried():
    with FakeOpenAI(failures=[400]) as server:
        with pytest.raises(EngineError, match="HTTP 400"):
            OpenAIEngine(server.url, "cand", backoff_s=0.01).generate(["q"], PARAMS)
        assert len(server.prompts) == 1


def test_concurrency_is_bounded():
    with FakeOpenAI(delay_s=0.05) as server:
        OpenAIEngine(server.url, "cand", concurrency=3).generate([str(i) for i in range(12)],
                                                                 PARAMS)
    assert server.max_in_flight == 3


def test_request_timeout_is_honoured():
    with FakeOpenAI(slow_s=3.0) as server:
        engine = OpenAIEngine(server.url, "cand", timeout_s=0.2, max_retries=1, backoff_s=0.01)
        start = time.perf_counter()
        with pytest.raises(EngineError, match="Timeout"):
            engine.generate(["slow question"], PARAMS)
    assert time.perf_counter() - start < 1.5
    assert len(server.prompts) == 2


def test_connection_errors_are_retried_then_reported():
    with FakeOpenAI() as server:
        url = server.url
    engine = OpenAIEngine(url, "cand", max_retries=1, backoff_s=0.01)
    with pytest.raises(EngineError, match="ConnectError"):
        engine.generate(["q"], PARAMS)


def test_fingerprint_names_endpoint_and_model():
    a = OpenAIEngine("http://h:1", "cand-a")
    assert a.fingerprint == OpenAIEngine("http://h:1/v1/", "cand-a").fingerprint
    assert a.fingerprint != OpenAIEngine("http://h:1", "cand-b").fingerprint
    assert a.url == "http://h:1/v1/chat/completions"


def test_plugin_resumes_from_the_generation_cache(pytester: pytest.Pytester, suite):  # noqa: ARG001
    """Through the plugin: the second run of the same candidate asks the server nothing."""
    root = Path(__file__).resolve().parents[2]
    pytester.makepyfile(test_accuracy=(root / "suites" / "test_accuracy.py").read_text())
    eval_set = root / "fixtures" / "examples" / "eval.jsonl"
    first_ids = [json.loads(line)["id"] for line in eval_set.read_text().splitlines()][:3]
    with FakeOpenAI(answer=lambda p: "SELECT COUNT(*) FROM AP_INVOICES_ALL") as server:
        def run():
            return pytester.runpytest(
                "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                "--candidate=fake-model", "--engine=openai", f"--base-url={server.url}",
                f"--eval-set={eval_set}", f"--generation-cache={pytester.path / 'gen'}",
                f"--sqlgate-out={pytester.path / 'out'}", "-k", " or ".join(first_ids))

        run().assert_outcomes(failed=3)
        assert len(server.prompts) == 3
        assert "Candidate Tables" in server.prompts[0]  # a rendered prompt, not an id
        run().assert_outcomes(failed=3)
        assert len(server.prompts) == 3
    results = json.loads((pytester.path / "out" / "results.json").read_text())
    assert results["summary"]["run"]["generation_cache"] == {"hits": 3, "misses": 0}
    assert results["summary"]["run"]["engine"] == "openai"


def test_plugin_guardrail_retries_once_and_reports_the_retry_rate(
        pytester: pytest.Pytester, suite):  # noqa: ARG001
    """--guardrail: a first answer that is prose is sent back with its errors; the retry's SQL
    is scored, and results.json carries summary.guardrail."""
    root = Path(__file__).resolve().parents[2]
    pytester.makepyfile(test_accuracy=(root / "suites" / "test_accuracy.py").read_text())
    eval_set = root / "fixtures" / "examples" / "eval.jsonl"
    unpaid = "ex-ap-unpaid"
    gold = [json.loads(line) for line in eval_set.read_text().splitlines()
            if json.loads(line)["id"] == unpaid][0]["sql_gold"]

    def answer(prompt: str) -> str:
        # The retry prompt quotes the rejected answer; the first attempt gets prose.
        return gold if "Here is" in prompt else "Here is the query you asked for."

    with FakeOpenAI(answer=answer) as server:
        result = pytester.runpytest(
            "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "--candidate=guarded", "--engine=openai", f"--base-url={server.url}",
            f"--eval-set={eval_set}", "--no-generation-cache", "--guardrail",
            f"--sqlgate-out={pytester.path / 'out'}", "-k", unpaid)
    result.assert_outcomes(passed=1)
    assert len(server.prompts) == 2
    guardrail = json.loads((pytester.path / "out" / "results.json").read_text())[
        "summary"]["guardrail"]
    assert guardrail["retry_rate"]["value"] == 1.0
    assert guardrail["final_failure_rate"]["value"] == 0.0
