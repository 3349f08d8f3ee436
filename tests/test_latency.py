"""Latency statistics (pure) and a short closed-loop run against a fake streaming server."""

from __future__ import annotations

import importlib.util
import json

import pytest

from harness.serving.latency import (
    RequestRecord,
    decode_roofline,
    gate_summary,
    percentile,
    summarize_latency,
)
from tests.fake_openai import fake_openai_app, serve

SQL = "SELECT COUNT(*) FROM AP_INVOICES_ALL WHERE ORG_ID = 204"


def test_percentile_interpolates_like_numpy():
    assert percentile([], 50) is None
    assert percentile([5.0], 99) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    # rank (10 − 1)·0.95 = 8.55 → 9 + 0.55·(10 − 9)
    assert percentile(list(range(1, 11)), 95) == pytest.approx(9.55)


def record(user, index, *, warmup=False, status="ok", start=0.0, ttft=0.1, e2e=1.1,
           tokens=11, gaps=(0.1,) * 10):
    return RequestRecord(user, index, warmup, status, start, ttft if status == "ok" else None,
                         e2e if status == "ok" else None, tokens if status == "ok" else 0,
                         tuple(gaps) if status == "ok" else (), 100)


def test_summary_excludes_warmup_and_counts_failures():
    records = [record(0, 0, warmup=True, e2e=9.0), record(0, 1, start=1.0),
               record(1, 0, warmup=True, e2e=9.0), record(1, 1, start=1.0, e2e=2.1),
               record(0, 2, status="timeout", start=2.1), record(1, 2, status="error")]
    s = summarize_latency(records, concurrency=2)
    assert (s["samples"], s["requests"], s["warmup_excluded"]) == (2, 4, 2)
    assert (s["errors"], s["timeouts"]) == (1, 1)
    assert s["e2e_ms"] == pytest.approx([1100, 2100])
    assert s["p50_e2e_ms"] == pytest.approx(1600) and s["e2e_samples"] == 2
    assert s["p50_ttft_ms"] == pytest.approx(100)
    # TPOT (1.1 − 0.1)/10 = 100 ms and (2.1 − 0.1)/10 = 200 ms
    assert s["p50_tpot_ms"] == pytest.approx(150)
    assert s["itl_samples"] == 20 and s["p50_itl_ms"] == pytest.approx(100)
    # per request 11/1.1 = 10 and 11/2.1 = 5.24 tokens/s → median 7.62
    assert s["tokens_per_s"] == pytest.approx((10 + 11 / 2.1) / 2)
    # Server throughput: all 44 tokens, warm-up included, over the window 0 … 9.0 s
    assert s["total_tokens_per_s"] == pytest.approx(44 / 9.0)
    assert s["roofline_fraction"] is None
    assert set(gate_summary(s)) >= {"p95_e2e_ms", "p95_ttft_ms", "tokens_per_s", "samples"}


def test_stream_reading_counts_tokens_that_decode_to_nothing():
    from harness.serving.load_generator import _read_stream

    def data(obj):
        return "data: " + json.dumps(obj)

    lines = [data({"choices": [{"delta": {"role": "assistant", "content": ""}}]}), "",
             data({"choices": [{"delta": {"content": ""}}]}),
             data({"choices": [{"delta": {"content": "x"}}]}),
             data({"choices": [], "usage": {"completion_tokens": 3}}), "data: [DONE]"]
    ttft, times, usage = _read_stream(lines, sent=0.0)
    assert ttft is not None and len(times) == 3 and usage == 3


def test_empty_run_has_no_numbers():
    s = summarize_latency([record(0, 0, status="error")], concurrency=1)
    assert s["samples"] == 0 and s["p95_e2e_ms"] is None and s["tokens_per_s"] is None


def test_decode_roofline_70b_awq_on_h100():
    # 39,767,785,472 B of weights + 4 × 4,256 tokens × 327,680 B = 5,578,424,320 B of KV
    # → 45,346,209,792 B per step; at 3.35e12 B/s a step takes at least 13.54 ms.
    bound = decode_roofline(weight_bytes=39_767_785_472, kv_bytes_per_token=327_680,
                            context_tokens=4256, concurrency=4, bandwidth_bytes_per_s=3.35e12)
    assert bound["bytes_per_step"] == 45_346_209_792
    assert bound["step_s"] == pytest.approx(0.013536, rel=1e-3)
    assert bound["total_tokens_per_s"] == pytest.approx(4 / bound["step_s"])
    s = summarize_latency([record(0, 0)], concurrency=1, roofline_step_s=0.05)
    assert s["roofline_fraction"] == pytest.approx(0.5)  # 50 ms bound / 100 ms measured


def test_latency_prompts_cover_the_production_sizes(catalog):
    from harness.serving.load_generator import latency_prompts

    prompts = latency_prompts(catalog, ["How many invoices are cancelled?",
                                        "List suppliers on hold."], 4)
    assert len(set(prompts)) == 4
    assert all(6500 <= len(p) <= 16000 + 2000 for p in prompts)  # context + instructions


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust not installed")
def test_short_closed_loop_run_produces_every_metric():
    from harness.serving.load_generator import LoadSpec, run_closed_loop, run_sweep

    app = fake_openai_app(lambda prompt: SQL, delay_s=0.02, token_delay_s=0.005)
    with serve(app) as url:
        spec = LoadSpec(url, "m", tuple(f"prompt {i}" for i in range(6)), users=2,
                        warmup_per_user=1, requests_per_user=2, max_tokens=32, timeout_s=10)
        records = run_closed_loop(spec)
        sweep = run_sweep(url, "m", [f"q{i}" for i in range(20)], concurrencies=(1, 2),
                          requests_per_user=1, max_tokens=32, timeout_s=10,
                          roofline_step_s={2: 0.001})
    assert len(records) == 6 and sum(r.warmup for r in records) == 2
    assert {r.status for r in records} == {"ok"}
    words = len(SQL.split(" "))
    assert all(r.output_tokens == words and len(r.itl_s) == words - 1 for r in records)
    s = summarize_latency(records, concurrency=2)
    assert s["samples"] == 4 and s["errors"] == s["timeouts"] == 0
    for key in ("p50_e2e_ms", "p95_e2e_ms", "p99_e2e_ms", "p50_ttft_ms", "p95_ttft_ms",
                "p50_tpot_ms", "p50_itl_ms", "tokens_per_s", "total_tokens_per_s"):
        assert s[key] > 0, key
    assert s["p50_ttft_ms"] >= 20 and s["p50_e2e_ms"] > s["p50_ttft_ms"]
    assert set(sweep) == {"1", "2"} and sweep["2"]["roofline_fraction"] > 0
    # Each request of the sweep got its own prompt: no repeats, so no prefix-cache hits.
    sent = [r["body"]["messages"][-1]["content"] for r in app.state.requests]
    assert sent[6:] == list(dict.fromkeys(sent[6:]))


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust not installed")
def test_timeouts_and_errors_are_counted():
    from harness.serving.load_generator import LoadSpec, run_closed_loop

    app = fake_openai_app(lambda prompt: SQL, delay_s=1.5)
    with serve(app) as url:
        records = run_closed_loop(LoadSpec(url, "m", ("p",), users=1, warmup_per_user=0,
                                           requests_per_user=1, timeout_s=0.3))
    with serve(fake_openai_app(lambda prompt: SQL)) as url:
        missing = run_closed_loop(LoadSpec(url + "/nowhere", "m", ("p",), users=1,
                                           warmup_per_user=0, requests_per_user=1, timeout_s=5))
    assert [r.status for r in records] == ["timeout"]
    assert [r.status for r in missing] == ["error"] and "404" in missing[0].error


HAS_TORCH = importlib.util.find_spec("torch") is not None
if HAS_TORCH:
    from tests.engines.test_hf import tiny_model  # noqa: F401 — the shared fixture


@pytest.mark.skipif(not HAS_TORCH or importlib.util.find_spec("locust") is None,
                    reason="the tiny model needs torch and the load generator locust")
def test_tiny_model_behind_the_proxy(tiny_model, catalog):  # noqa: F811
    """The whole serving path on CPU: load generator → proxy → server → tiny model."""
    import threading

    from harness.engines import SamplingParams
    from harness.engines.hf import HFEngine
    from harness.serving.load_generator import LoadSpec, run_closed_loop
    from harness.serving.proxy import ProxySettings, create_app

    engine = HFEngine(tiny_model, batch_size=1, device="cpu", dtype="float32")
    lock = threading.Lock()

    def answer(prompt: str) -> str:
        with lock:
            return engine.generate([prompt], SamplingParams(max_new_tokens=8))[0].text or "-"

    with serve(fake_openai_app(answer)) as upstream_url, \
            serve(create_app(ProxySettings(upstream_url, "tiny"), catalog=catalog)) as url:
        records = run_closed_loop(LoadSpec(url, "tiny", ("how many invoices", "list"), users=2,
                                           warmup_per_user=1, requests_per_user=1,
                                           max_tokens=8, timeout_s=30))
    s = summarize_latency(records, concurrency=2)
    assert s["samples"] == 2 and s["errors"] == 0
    assert s["p95_e2e_ms"] > 0 and s["p95_ttft_ms"] > 0 and s["tokens_per_s"] > 0
