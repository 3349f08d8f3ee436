"""The guardrail proxy over real HTTP on 127.0.0.1, in front of a fake and a tiny real model."""

from __future__ import annotations

import importlib.util
import json
import logging
import threading

import httpx
import pytest

from harness.serving.proxy import ProxySettings, create_app
from tests.fake_openai import fake_openai_app, serve

GOOD = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"
RAG = "Table AP_INVOICES_ALL (INVOICE_ID, ORG_ID, CANCELLED_DATE)"


def first_bad_then_good(prompt: str) -> str:
    """Hallucinates a column until told why, then answers correctly."""
    return GOOD if "rejected because" in prompt else "SELECT INVOICE_COLOUR FROM AP_INVOICES_ALL"


@pytest.fixture()
def upstream():
    app = fake_openai_app(first_bad_then_good, token_delay_s=0.001)
    with serve(app) as url:
        yield app, url


@pytest.fixture()
def proxy(upstream, catalog):
    app, url = upstream
    settings = ProxySettings(url, "cand", max_concurrency=2, max_body_bytes=4096,
                             request_timeout_s=5, generation_timeout_s=5)
    with serve(create_app(settings, catalog=catalog)) as proxy_url:
        yield proxy_url, app


def test_generate_with_one_retry(proxy, caplog):
    url, upstream = proxy
    with caplog.at_level(logging.INFO, logger="sqlgate.proxy"):
        response = httpx.post(f"{url}/v1/sql/generate",
                              json={"question": "How many invoices? SECRET-QUESTION",
                                    "rag_context": RAG, "dialect": "oracle"},
                              headers={"Authorization": "Bearer sk-TOPSECRET"}, timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["sql"] == GOOD and body["ok"] and body["attempts"] == 2
    assert [r["code"] for r in body["reasons"]] == ["unknown_column"]
    assert body["latency_ms"] > 0
    assert len(upstream.state.requests) == 2
    assert RAG in upstream.state.requests[0]["body"]["messages"][-1]["content"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    events = [json.loads(r.getMessage()) for r in caplog.records]
    assert any(e["event"] == "sql_generate" and e["attempts"] == 2 for e in events)
    assert "SECRET-QUESTION" not in logged and "TOPSECRET" not in logged


def test_generate_builds_the_context_when_none_is_given(proxy):
    url, upstream = proxy
    response = httpx.post(f"{url}/v1/sql/generate",
                          json={"question": "How many invoices are cancelled?"}, timeout=10)
    assert response.status_code == 200
    assert "AP_INVOICES_ALL" in upstream.state.requests[0]["body"]["messages"][-1]["content"]


def test_generate_validates_its_input(proxy):
    url, _ = proxy
    assert httpx.post(f"{url}/v1/sql/generate", json={"question": "x", "dialect": "mysql"},
                      timeout=10).status_code == 422
    assert httpx.post(f"{url}/v1/sql/generate", content=b"{", timeout=10).status_code == 422


def test_request_over_the_size_limit_gets_413(proxy):
    url, upstream = proxy
    big = {"question": "q", "rag_context": "x" * 5000}
    assert httpx.post(f"{url}/v1/sql/generate", json=big, timeout=10).status_code == 413
    chat = {"model": "cand", "messages": [{"role": "user", "content": "x" * 5000}]}
    assert httpx.post(f"{url}/v1/chat/completions", json=chat, timeout=10).status_code == 413
    assert upstream.state.requests == []


def test_over_the_concurrency_limit_gets_429_then_recovers(catalog):
    gate = threading.Event()

    def slow(prompt: str) -> str:
        gate.wait(10)
        return GOOD

    with serve(fake_openai_app(slow)) as upstream_url:
        settings = ProxySettings(upstream_url, "cand", max_concurrency=1, request_timeout_s=10,
                                 generation_timeout_s=10)
        with serve(create_app(settings, catalog=catalog)) as url:
            body = {"question": "How many invoices?", "rag_context": RAG}
            results = []
            first = threading.Thread(target=lambda: results.append(
                httpx.post(f"{url}/v1/sql/generate", json=body, timeout=15)))
            first.start()
            metrics = ""
            for _ in range(200):  # until the first request holds the only slot
                metrics = httpx.get(f"{url}/metrics", timeout=5).text
                if "sqlgate_proxy_in_flight 1" in metrics:
                    break
                threading.Event().wait(0.02)
            assert "sqlgate_proxy_in_flight 1" in metrics
            refused = httpx.post(f"{url}/v1/sql/generate", json=body, timeout=5)
            assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
            assert "at most 1" in refused.json()["error"]
            gate.set()
            first.join(15)
            assert results[0].status_code == 200
            again = httpx.post(f"{url}/v1/sql/generate", json=body, timeout=10)
            assert again.status_code == 200 and again.json()["attempts"] == 1
            assert "sqlgate_proxy_in_flight 0" in httpx.get(f"{url}/metrics").text


def test_slots_are_refused_at_capacity_and_given_back_on_every_exit():
    from harness.serving.proxy import Overloaded, Slots

    slots = Slots(1)
    with slots.hold():
        with pytest.raises(Overloaded, match="at most 1") as refused, slots.hold():
            pass
        assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "1"}
    assert slots.in_flight == 0
    with pytest.raises(KeyError), slots.hold():
        {}["missing"]
    assert slots.in_flight == 0


def test_every_refused_request_gives_its_slot_back(catalog):
    """With one slot, a leak on any error path would turn the next good request into a 429."""
    with serve(fake_openai_app(lambda prompt: GOOD)) as upstream_url:
        settings = ProxySettings(upstream_url, "cand", max_concurrency=1, max_body_bytes=4096,
                                 request_timeout_s=5, generation_timeout_s=5)
        with serve(create_app(settings, catalog=catalog)) as url:
            chat = f"{url}/v1/chat/completions"
            generate = f"{url}/v1/sql/generate"
            assert httpx.post(chat, content=b"not json", timeout=5).status_code == 400
            # JSON that is not an object was a 500 (AttributeError) before the split.
            assert httpx.post(chat, content=b"[1]", timeout=5).json() == {
                "error": "body is not a JSON object"}
            assert httpx.post(chat, content=b"x" * 5000, timeout=5).status_code == 413
            assert httpx.post(generate, content=b"{", timeout=5).status_code == 422
            assert httpx.post(generate, json={"question": "q", "rag_context": RAG},
                              timeout=5).status_code == 200
            assert "sqlgate_proxy_in_flight 0" in httpx.get(f"{url}/metrics").text
    down = ProxySettings("http://127.0.0.1:9", "cand", max_concurrency=1)
    with serve(create_app(down, catalog=catalog)) as url:
        body = {"model": "cand", "messages": [{"role": "user", "content": "hi"}]}
        for stream in (False, True, False):
            response = httpx.post(f"{url}/v1/chat/completions", json={**body, "stream": stream},
                                  timeout=5)
            assert response.status_code == 502, response.text
            assert response.json() == {"error": "upstream failed: ConnectError"}
        assert "sqlgate_proxy_in_flight 0" in httpx.get(f"{url}/metrics").text


def test_upstream_errors_reach_the_client_as_502_without_upstream_details(catalog):
    def broken(prompt: str) -> str:
        raise RuntimeError("upstream internals sk-UPSTREAM")

    with serve(fake_openai_app(broken)) as upstream_url, \
            serve(create_app(ProxySettings(upstream_url, "cand"), catalog=catalog)) as url:
        response = httpx.post(f"{url}/v1/sql/generate",
                              json={"question": "q", "rag_context": RAG}, timeout=10)
    assert response.status_code == 502
    assert response.json() == {"error": "upstream answered HTTP 500"}


def test_request_timeout_gives_504(catalog):
    gate = threading.Event()
    with serve(fake_openai_app(lambda p: gate.wait(5) and GOOD)) as upstream_url:
        settings = ProxySettings(upstream_url, "cand", request_timeout_s=0.3)
        with serve(create_app(settings, catalog=catalog)) as url:
            response = httpx.post(f"{url}/v1/sql/generate",
                                  json={"question": "q", "rag_context": RAG}, timeout=10)
            gate.set()
    assert response.status_code == 504


def test_upstream_down_gives_502_and_unhealthy(catalog):
    settings = ProxySettings("http://127.0.0.1:9", "cand")
    with serve(create_app(settings, catalog=catalog)) as url:
        response = httpx.post(f"{url}/v1/sql/generate",
                              json={"question": "q", "rag_context": RAG}, timeout=10)
        health = httpx.get(f"{url}/health", timeout=10)
    assert response.status_code == 502 and "unreachable" in response.json()["error"]
    assert health.status_code == 503 and health.json()["upstream"] is False


def test_health_and_metrics(proxy):
    url, _ = proxy
    health = httpx.get(f"{url}/health", timeout=5)
    assert health.status_code == 200 and health.json() == {"status": "ok", "upstream": True}
    httpx.post(f"{url}/v1/sql/generate", json={"question": "q", "rag_context": RAG}, timeout=10)
    text = httpx.get(f"{url}/metrics", timeout=5).text
    assert 'sqlgate_proxy_requests_total{path="/v1/sql/generate",status="200"} 1' in text
    assert "sqlgate_proxy_guardrail_retries_total 1" in text
    assert "sqlgate_proxy_guardrail_answers_total 1" in text
    assert 'sqlgate_proxy_request_duration_seconds_bucket{path="/v1/sql/generate",le="+Inf"} 1' \
        in text
    assert "# TYPE sqlgate_proxy_in_flight gauge" in text


def test_chat_completions_pass_through(proxy):
    url, upstream = proxy
    body = {"model": "cand", "messages": [{"role": "user", "content": "hello"}]}
    plain = httpx.post(f"{url}/v1/chat/completions", json=body,
                       headers={"Authorization": "Bearer client-key"}, timeout=10)
    assert plain.status_code == 200
    assert plain.json()["choices"][0]["message"]["content"].startswith("SELECT")
    assert upstream.state.requests[-1]["headers"]["authorization"] == "Bearer client-key"
    chunks = []
    with httpx.stream("POST", f"{url}/v1/chat/completions", json={**body, "stream": True},
                      timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = [line for line in response.iter_lines() if line.startswith("data:")]
    assert chunks[-1] == "data: [DONE]" and len(chunks) > 3
    assert "sqlgate_proxy_in_flight 0" in httpx.get(f"{url}/metrics").text


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust not installed")
def test_load_generator_through_the_proxy(proxy):
    from harness.serving.latency import summarize_latency
    from harness.serving.load_generator import LoadSpec, run_closed_loop

    url, _ = proxy
    records = run_closed_loop(LoadSpec(url, "cand", ("a", "b", "c", "d"), users=2,
                                       warmup_per_user=0, requests_per_user=2, timeout_s=10))
    summary = summarize_latency(records, concurrency=2)
    assert summary["samples"] == 4 and summary["p95_ttft_ms"] > 0


HAS_TORCH = importlib.util.find_spec("torch") is not None
if HAS_TORCH:
    from tests.engines.test_hf import tiny_model  # noqa: F401 — the shared fixture


@pytest.mark.skipif(not HAS_TORCH, reason="the tiny model needs torch (pip install torch)")
def test_tiny_model_behind_the_proxy(tiny_model, catalog):  # noqa: F811
    from harness.engines import SamplingParams
    from harness.engines.hf import HFEngine

    engine = HFEngine(tiny_model, batch_size=1, device="cpu", dtype="float32")
    lock = threading.Lock()

    def answer(prompt: str) -> str:
        with lock:
            return engine.generate([prompt], SamplingParams(max_new_tokens=8))[0].text

    with serve(fake_openai_app(answer)) as upstream_url:
        settings = ProxySettings(upstream_url, "tiny", request_timeout_s=30,
                                 generation_timeout_s=30)
        with serve(create_app(settings, catalog=catalog)) as url:
            response = httpx.post(f"{url}/v1/sql/generate",
                                  json={"question": "how many invoices", "rag_context": RAG},
                                  timeout=60)
    body = response.json()
    # A random 1-layer model writes no valid SQL: both attempts fail and that is recorded.
    assert response.status_code == 200
    assert body["attempts"] == 2 and body["ok"] is False and body["sql"] is None
    assert {r["attempt"] for r in body["reasons"]} == {1, 2}
