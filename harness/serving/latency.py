"""Latency statistics of a load test: per-request records in, percentiles and rates out (pure).

Definitions (each request is one streamed chat completion):
- TTFT: request sent → first content chunk; E2E: request sent → last byte;
- TPOT (time per output token): (E2E − TTFT) / (output tokens − 1), the decode pace;
- ITL (inter-token latency): every gap between consecutive content chunks, pooled;
- ``tokens_per_s``: what one user sees, output tokens / E2E of each request, median over
  requests (the gate's ``latency.tokens_per_s``); ``total_tokens_per_s``: every output token
  of the run (warm-up included) over its wall window (the server's throughput).
Warm-up requests, failures and timeouts are excluded from the percentiles and counted apart.
Percentiles interpolate linearly between order statistics (NumPy's default), and every one is
published with its sample count: a p99 of 12 samples is a maximum, not a tail estimate.

The decode roofline: one decode step reads every weight once plus each sequence's KV cache, so
at memory bandwidth B a step cannot take less than (weights + concurrency × context × KV bytes
per token) / B. ``roofline_fraction`` compares the measured median TPOT with that bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from statistics import median

PERCENTILES = (50, 95, 99)
# The scalar keys results.json's summary carries (the release gate reads the p95s and
# tokens_per_s); the sample lists stay in latency.json for the scorecard's histograms.
SUMMARY_KEYS = ("p50_e2e_ms", "p95_e2e_ms", "p99_e2e_ms", "p50_ttft_ms", "p95_ttft_ms",
                "p99_ttft_ms", "p50_tpot_ms", "p95_tpot_ms", "p50_itl_ms", "p95_itl_ms",
                "tokens_per_s", "total_tokens_per_s", "samples", "errors", "timeouts",
                "concurrency", "roofline_fraction")


@dataclass(frozen=True)
class RequestRecord:
    """One request of a load test. Times are seconds from the run's start (``start_s``) or
    durations; ``ttft_s``/``e2e_s`` are None for a request that failed before they existed."""

    user: int
    index: int  # the request's position in its user's loop
    warmup: bool
    status: str  # "ok", "error" or "timeout"
    start_s: float
    ttft_s: float | None = None
    e2e_s: float | None = None
    output_tokens: int = 0
    itl_s: tuple[float, ...] = field(default_factory=tuple)
    prompt_chars: int = 0
    error: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> RequestRecord:
        return cls(**{**data, "itl_s": tuple(data.get("itl_s", ()))})

    @property
    def tpot_s(self) -> float | None:
        if self.e2e_s is None or self.ttft_s is None or self.output_tokens < 2:
            return None
        return (self.e2e_s - self.ttft_s) / (self.output_tokens - 1)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ms(values: Sequence[float]) -> list[float]:
    return [v * 1000 for v in values]


def _percentiles(name: str, values_ms: Sequence[float]) -> dict:
    stats: dict = {f"p{p}_{name}_ms": percentile(values_ms, p) for p in PERCENTILES}
    stats[f"{name}_samples"] = len(values_ms)
    return stats


def summarize_latency(records: Sequence[RequestRecord], *, concurrency: int,
                      roofline_step_s: float | None = None) -> dict:
    """The load test's summary: percentiles with sample counts, rates, error counts, samples.

    Its keys include the scorecard's (``p50_e2e_ms`` … ``e2e_ms``/``ttft_ms`` sample lists)
    and the release gate's (``p95_e2e_ms``, ``p95_ttft_ms``, ``tokens_per_s``).
    ``roofline_step_s`` (``decode_roofline``'s ``step_s``) adds ``roofline_fraction``.
    """
    measured = [r for r in records if not r.warmup]
    ok = [r for r in measured if r.status == "ok" and r.e2e_s is not None]
    e2e = _ms([r.e2e_s for r in ok])
    ttft = _ms([r.ttft_s for r in ok if r.ttft_s is not None])
    tpot = _ms([r.tpot_s for r in ok if r.tpot_s is not None])
    itl = _ms([gap for r in ok for gap in r.itl_s])
    per_request = [r.output_tokens / r.e2e_s for r in ok if r.e2e_s > 0]
    per_user: dict[str, float] = {}
    for user in sorted({r.user for r in ok}):
        mine = [r for r in ok if r.user == user]
        busy = sum(r.e2e_s for r in mine)
        per_user[str(user)] = sum(r.output_tokens for r in mine) / busy if busy else 0.0
    # Server throughput counts every token in the run's window, warm-up included (as `vllm
    # bench serve` does): with more users than server slots, warm-up and measured requests
    # overlap, and leaving the warm-up tokens out would understate the throughput.
    served = [r for r in records if r.status == "ok" and r.e2e_s is not None]
    window = (max(r.start_s + r.e2e_s for r in served) - min(r.start_s for r in served)
              if served else 0.0)
    served_tokens = sum(r.output_tokens for r in served)
    tokens = sum(r.output_tokens for r in ok)
    summary = {
        "concurrency": concurrency,
        "samples": len(ok),
        "requests": len(measured),
        "warmup_excluded": len(records) - len(measured),
        "errors": sum(1 for r in measured if r.status == "error"),
        "timeouts": sum(1 for r in measured if r.status == "timeout"),
        **_percentiles("e2e", e2e), **_percentiles("ttft", ttft),
        **_percentiles("tpot", tpot), **_percentiles("itl", itl),
        "tokens_per_s": median(per_request) if per_request else None,
        "tokens_per_s_by_user": per_user,
        "total_tokens_per_s": served_tokens / window if window > 0 else None,
        "output_tokens": tokens,
        "mean_prompt_chars": (sum(r.prompt_chars for r in ok) / len(ok)) if ok else None,
        "e2e_ms": e2e,
        "ttft_ms": ttft,
    }
    p50_tpot = summary["p50_tpot_ms"]
    summary["roofline_fraction"] = (roofline_step_s * 1000 / p50_tpot
                                    if roofline_step_s and p50_tpot else None)
    return summary


def gate_summary(latency: dict) -> dict:
    """The scalar part of a latency summary, for ``results.json``'s ``summary["latency"]``."""
    return {key: latency.get(key) for key in SUMMARY_KEYS}


def decode_roofline(*, weight_bytes: int, kv_bytes_per_token: int, context_tokens: float,
                    concurrency: int, bandwidth_bytes_per_s: float) -> dict:
    """The memory-bandwidth bound of one decode step at ``concurrency`` sequences of
    ``context_tokens`` each (use the mean context during decode: prompt + half the output)."""
    step_bytes = weight_bytes + concurrency * context_tokens * kv_bytes_per_token
    step_s = step_bytes / bandwidth_bytes_per_s
    return {"bytes_per_step": step_bytes, "step_s": step_s,
            "tokens_per_s_per_user": 1 / step_s, "total_tokens_per_s": concurrency / step_s}
