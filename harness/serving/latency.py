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

The comparison with the promoted baseline (``relative_latency_test``): both models are measured
on the same server and prompts in the same run, R repetitions each, interleaved; each
repetition gives one p95. The rule "candidate p95 at most (1 + max_increase) × the baseline's"
is a non-inferiority test on the log p95s: Welch's one-sided t-test (scipy) of
H0: mean log(candidate) − mean log(baseline) ≥ log(1 + max_increase). The candidate passes when
H0 is rejected at ``one_sided_alpha``, i.e. the data SHOW it is less than that much slower; a
candidate exactly at the margin passes at most alpha of the time, fewer than two repetitions
per model cannot pass. Why logs: timing noise is multiplicative (a slower GPU scales every
request), and the margin is a ratio. benchmarks/latency_rule_calibration.py gives its error
rates under the run-to-run noise of our measured repeats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from statistics import fmean, median, variance

from scipy import stats

PERCENTILES = (50, 95, 99)
# The scalar keys results.json's summary carries (the release gate reads the p95s and
# tokens_per_s); the sample lists stay in latency.json for the scorecard's histograms.
SUMMARY_KEYS = ("p50_e2e_ms", "p95_e2e_ms", "p99_e2e_ms", "p50_ttft_ms", "p95_ttft_ms",
                "p99_ttft_ms", "p50_tpot_ms", "p95_tpot_ms", "p50_itl_ms", "p95_itl_ms",
                "tokens_per_s", "total_tokens_per_s", "samples", "errors", "timeouts",
                "concurrency", "roofline_fraction")
# What an A/B latency run (benchmarks/gpu/latency_ab.py) adds to the summary: the candidate's
# per-repetition figures, and the baseline's, measured on the same server in the same run.
REPETITION_KEYS = ("by_repetition", "baseline")
COMPARED_FIGURES = ("p95_e2e_ms", "p95_ttft_ms")


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
    """The scalar part of a latency summary, for ``results.json``'s ``summary["latency"]``,
    with an A/B run's per-repetition figures when it has them."""
    return ({key: latency.get(key) for key in SUMMARY_KEYS}
            | {key: latency[key] for key in REPETITION_KEYS if key in latency})


def by_repetition(summaries: Sequence[dict]) -> dict[str, list[float]]:
    """Each compared figure of each repetition's summary, in repetition order."""
    return {figure: [s[figure] for s in summaries] for figure in COMPARED_FIGURES}


@dataclass(frozen=True)
class RelativeLatency:
    """The candidate-vs-baseline test of one figure: the ratio of geometric means, its
    one-sided upper confidence bound (1 − alpha), Welch's p-value, and the decision."""

    figure: str
    repetitions: tuple[int, int]  # (candidate, baseline)
    ratio: float
    ratio_upper: float
    max_ratio: float
    p_value: float
    passed: bool

    def sentence(self) -> str:
        verdict = "shown below" if self.passed else "NOT shown below"
        return (f"{self.figure}: candidate/baseline {self.ratio:.3f} (upper bound "
                f"{self.ratio_upper:.3f}) over {self.repetitions[0]} and {self.repetitions[1]} "
                f"repetitions, {verdict} {self.max_ratio:.2f}; one-sided p = {self.p_value:.3g}")


def relative_latency_test(candidate: Sequence[float], baseline: Sequence[float], *,
                          figure: str = "p95_e2e_ms", max_increase: float = 0.10,
                          one_sided_alpha: float = 0.05) -> RelativeLatency:
    """Welch's one-sided test that the candidate's figure is below (1 + max_increase) × the
    baseline's (module docstring). Raises ValueError for a non-positive value."""
    if min(list(candidate) + list(baseline) or [1.0]) <= 0:
        raise ValueError(f"{figure}: every repetition's value must be positive")
    max_ratio = 1 + max_increase
    n_c, n_b = len(candidate), len(baseline)
    log_c = [math.log(v) for v in candidate]
    log_b = [math.log(v) for v in baseline]
    ratio = math.exp(sum(log_c) / n_c - sum(log_b) / n_b) if n_c and n_b else math.nan
    if n_c < 2 or n_b < 2:
        return RelativeLatency(figure, (n_c, n_b), ratio, math.inf, max_ratio, 1.0, False)
    if max(log_c) - min(log_c) < 1e-9 and max(log_b) - min(log_b) < 1e-9:
        # No spread at all (identical repetitions): the ratio is known exactly.
        ratio = candidate[0] / baseline[0]
        p_value, upper = (0.0 if ratio < max_ratio else 1.0), ratio
    else:
        # Means and variances by the statistics module (exact for floats: scipy's own
        # moments warn on near-equal values); the t tail and quantile are scipy's.
        diff = fmean(log_c) - fmean(log_b) - math.log(max_ratio)
        var_c, var_b = variance(log_c) / n_c, variance(log_b) / n_b
        test = stats.ttest_ind_from_stats(diff, math.sqrt(variance(log_c)), n_c, 0.0,
                                          math.sqrt(variance(log_b)), n_b, equal_var=False,
                                          alternative="less")
        p_value = float(test.pvalue)
        df = (var_c + var_b) ** 2 / (var_c**2 / (n_c - 1) + var_b**2 / (n_b - 1))
        upper = ratio * math.exp(float(stats.t.ppf(1 - one_sided_alpha, df))
                                 * math.sqrt(var_c + var_b))
    return RelativeLatency(figure, (n_c, n_b), ratio, upper, max_ratio, p_value,
                           p_value <= one_sided_alpha)


def decode_roofline(*, weight_bytes: int, kv_bytes_per_token: int, context_tokens: float,
                    concurrency: int, bandwidth_bytes_per_s: float) -> dict:
    """The memory-bandwidth bound of one decode step at ``concurrency`` sequences of
    ``context_tokens`` each (use the mean context during decode: prompt + half the output)."""
    step_bytes = weight_bytes + concurrency * context_tokens * kv_bytes_per_token
    step_s = step_bytes / bandwidth_bytes_per_s
    return {"bytes_per_step": step_bytes, "step_s": step_s,
            "tokens_per_s_per_user": 1 / step_s, "total_tokens_per_s": concurrency / step_s}
