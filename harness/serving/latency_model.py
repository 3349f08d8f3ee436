"""Predicted serving latency of a model shape on a GPU (pure): where the release gate's absolute
latency limits come from.

The model has two costs and one scheduler:
- prefill of a prompt of n tokens is compute bound: 2 × linear parameters × n (every weight
  multiplies every prompt token once) plus causal attention, 2 × layers × n² × heads × head_dim,
  at ``peak FLOP/s × prefill efficiency``;
- one decode step for b running sequences is memory bound: the weights plus b × context × KV
  bytes per token are read once, at ``bandwidth × decode efficiency``;
- ``simulate`` runs the closed loop the latency suite runs (``users`` users, each sending its
  next request the moment the last one ends) with prefill first: a waiting prompt is prefilled
  before the next decode step, alone, in arrival order, and the running sequences wait. That is
  the queued prefill which makes TTFT at 4 users about 2.5 × the single-user TTFT.

The efficiencies are not guessed: ``calibrate`` fits them on our measured single-user runs
(vLLM 0.25, Llama-3.1-70B AWQ shape, 4,000 prompt tokens: the TTFT gives the prefill
efficiency, the TPOT the decode efficiency, each GPU its own), and the four-user runs, which the
fit never saw, check the scheduler (``CALIBRATION_RUNS``; docs/gates.md has the table). A GPU
never measured (the A100, the seeds' target) takes the LOWEST efficiency measured on any GPU:
the slow side, so a limit derived from it errs towards passing a production model, and the
relative rule against the baseline (``harness.serving.latency.relative_latency_test``) is what catches a
slow candidate on the GPU actually used.

``latency_limits`` turns a prediction into gate limits: predicted p95 × ``headroom``. The
headroom must cover the model's error and still fail a candidate 20 % slower than the model
predicts: 1.10 leaves ±8 % (the calibration runs land within ±6 %, tests/test_latency_model.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.serving.latency import percentile
from harness.serving.vllm_config import GPUS, ModelShape

DEFAULT_HEADROOM = 1.10
# The project's rule of thumb for the token count of the production prompts (English questions,
# schema DDL and SQL under a Llama-3 tokenizer): 4 characters a token, so the production RAG
# prompts' 6.5k–16k characters are 1.6k–4k tokens. The GPU session replaces it by the server's
# own usage counts (benchmarks/gpu/release_path.sh records them).
CHARS_PER_TOKEN = 4.0


@dataclass(frozen=True)
class Efficiency:
    """The fraction of a GPU's peak that prefill (FLOP/s) and decode (bandwidth) reach."""

    prefill: float
    decode: float


@dataclass(frozen=True)
class Workload:
    """Requests in the order the users send them: prompt tokens and output tokens of each."""

    prompt_tokens: tuple[int, ...]
    output_tokens: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.prompt_tokens) != len(self.output_tokens) or not self.prompt_tokens:
            raise ValueError("a workload needs as many output lengths as prompts, and one at least")
        if min(self.prompt_tokens) < 1 or min(self.output_tokens) < 1:
            raise ValueError("every request needs at least one prompt and one output token")

    @classmethod
    def uniform(cls, prompt: int, output: int, requests: int) -> Workload:
        return cls((prompt,) * requests, (output,) * requests)

    @classmethod
    def from_texts(cls, prompts: Sequence[str], answers: Sequence[str], *,
                   chars_per_token: float = CHARS_PER_TOKEN) -> Workload:
        """Token counts estimated from text (``CHARS_PER_TOKEN``); the answer gets one more
        token, the end of turn that stops it."""
        def tokens(text: str) -> int:
            return max(1, round(len(text) / chars_per_token))
        return cls(tuple(tokens(p) for p in prompts), tuple(tokens(a) + 1 for a in answers))


def prefill_s(shape: ModelShape, prompt_tokens: int, *, gpu: str, efficiency: Efficiency) -> float:
    """Seconds to prefill one prompt alone (compute bound)."""
    attention = 2 * shape.num_layers * prompt_tokens**2 * shape.num_heads * shape.head_dim
    flops = 2 * shape.linear_params() * prompt_tokens + attention
    return flops / (GPUS[gpu]["peak_bf16_flops"] * efficiency.prefill)


def decode_step_s(shape: ModelShape, context_tokens: Iterable[int], *, gpu: str,
                  efficiency: Efficiency) -> float:
    """Seconds of one decode step over running sequences of these context lengths."""
    read = shape.weight_bytes() + sum(context_tokens) * shape.kv_bytes_per_token()
    return read / (GPUS[gpu]["bandwidth_bytes_per_s"] * efficiency.decode)


@dataclass(frozen=True)
class Prediction:
    """Per-request TTFT and E2E (seconds) of a simulated run, and their percentiles (ms)."""

    ttft_s: tuple[float, ...]
    e2e_s: tuple[float, ...]
    output_tokens: tuple[int, ...]

    def tokens_per_s(self) -> float:
        """What one user sees (the gate's ``latency.tokens_per_s``): median of output / E2E."""
        return percentile([n / t for n, t in zip(self.output_tokens, self.e2e_s, strict=True)],
                          50)

    def p_ms(self, p: float, which: str = "e2e") -> float:
        values = self.e2e_s if which == "e2e" else self.ttft_s
        return percentile([v * 1000 for v in values], p)

    def summary(self) -> dict[str, float]:
        return {"p50_ttft_ms": self.p_ms(50, "ttft"), "p95_ttft_ms": self.p_ms(95, "ttft"),
                "p50_e2e_ms": self.p_ms(50), "p95_e2e_ms": self.p_ms(95),
                "tokens_per_s": self.tokens_per_s()}


@dataclass
class _Running:
    user: int
    request: int
    sent: float
    ttft: float
    context: int
    left: int


def simulate(shape: ModelShape, workload: Workload, *, gpu: str, efficiency: Efficiency,
             users: int = 4, warmup_per_user: int = 1) -> Prediction:
    """The closed loop, step by step: ``users`` users take the workload's requests in turn
    (request i goes to the first free user); prefill first, then one decode step for every
    running sequence. The first ``warmup_per_user`` requests of each user are left out of the
    percentiles, as the latency suite leaves them out."""
    total = len(workload.prompt_tokens)
    queue: list[tuple[float, int, int]] = []  # (sent, user, request)
    running: list[_Running] = []
    sent_by_user = [0] * users
    ttft: list[float] = []
    e2e: list[float] = []
    outputs: list[int] = []
    now, next_request = 0.0, 0

    def send(user: int) -> None:
        nonlocal next_request
        if next_request < total:
            queue.append((now, user, next_request))
            next_request += 1

    for user in range(min(users, total)):
        send(user)
    while queue or running:
        if queue:
            sent, user, request = queue.pop(0)
            prompt = workload.prompt_tokens[request]
            now += prefill_s(shape, prompt, gpu=gpu, efficiency=efficiency)
            running.append(_Running(user, request, sent, now - sent, prompt + 1,
                                    workload.output_tokens[request] - 1))
        else:
            now += decode_step_s(shape, (r.context for r in running), gpu=gpu,
                                 efficiency=efficiency)
            for r in running:
                r.context += 1
                r.left -= 1
        for r in [r for r in running if r.left <= 0]:
            running.remove(r)
            if sent_by_user[r.user] >= warmup_per_user:
                ttft.append(r.ttft)
                e2e.append(now - r.sent)
                outputs.append(workload.output_tokens[r.request])
            sent_by_user[r.user] += 1
            send(r.user)
    return Prediction(tuple(ttft), tuple(e2e), tuple(outputs))


@dataclass(frozen=True)
class MeasuredRun:
    """One measured load test: GPU, shape, prompt/output tokens, users, and what it gave (ms)."""

    name: str
    gpu: str
    prompt_tokens: int
    output_tokens: int
    users: int
    p50_ttft_ms: float
    p95_ttft_ms: float
    p50_tpot_ms: float
    p95_e2e_ms: float
    source: str


# vLLM 0.25.0, Llama-3.1-70B shape, AWQ 4-bit (Machete kernel), dummy weights, random prompts,
# prefix caching off. The single-user runs calibrate; the four-user runs validate.
CALIBRATION_RUNS = (
    MeasuredRun("h100 1 user", "h100-80gb", 4000, 512, 1, 786.1, 788.7, 22.52, 12298.2,
                "benchmarks/results/serving_h100_rerun_c1_c8.json"),
    MeasuredRun("h200 1 user", "h200-141gb", 4000, 512, 1, 790.0, 790.0, 21.4, 11740.0,
                "issue 18 (serving measurements on one H200)"),
    MeasuredRun("h100 4 users", "h100-80gb", 4000, 512, 4, 2273.4, 2980.3, 25.04, 15071.0,
                "benchmarks/results/serving_h100_rerun_c4.json"),
    MeasuredRun("h200 4 users", "h200-141gb", 4000, 512, 4, 2350.0, 3090.0, 23.8, 14560.0,
                "issue 18 (serving measurements on one H200)"),
    MeasuredRun("h200 4 users, SQL-length answers", "h200-141gb", 4000, 120, 4, 2470.0, 3120.0,
                float("nan"), 5800.0, "issue 18 (4000 in / 120 out, unique prompts)"),
)


def calibrate(shape: ModelShape, runs: Sequence[MeasuredRun] = CALIBRATION_RUNS
              ) -> dict[str, Efficiency]:
    """Each measured GPU's efficiencies from its single-user run (prefill from TTFT, decode
    from TPOT at the mean decode context); unmeasured GPUs take the lowest of each."""
    fitted: dict[str, Efficiency] = {}
    for run in runs:
        if run.users != 1 or run.gpu in fitted:
            continue
        unit = Efficiency(1.0, 1.0)
        ideal_prefill = prefill_s(shape, run.prompt_tokens, gpu=run.gpu, efficiency=unit)
        context = run.prompt_tokens + run.output_tokens // 2
        ideal_step = decode_step_s(shape, [context], gpu=run.gpu, efficiency=unit)
        fitted[run.gpu] = Efficiency(ideal_prefill * 1000 / run.p50_ttft_ms,
                                     ideal_step * 1000 / run.p50_tpot_ms)
    if not fitted:
        raise ValueError("no single-user run to calibrate on")
    slowest = Efficiency(min(e.prefill for e in fitted.values()),
                         min(e.decode for e in fitted.values()))
    return {gpu: fitted.get(gpu, slowest) for gpu in GPUS}


@dataclass(frozen=True)
class LatencyLimits:
    """Gate limits for one GPU: the prediction's p95s × headroom (rounded up to 10 ms) and its
    per-user tokens/s ÷ headroom (rounded down to 0.1)."""

    gpu: str
    headroom: float
    predicted_p95_ttft_ms: float
    predicted_p95_e2e_ms: float
    predicted_tokens_per_s: float
    p95_ttft_ms: float
    p95_e2e_ms: float
    tokens_per_s: float

    def passes(self, p95_ttft_ms: float, p95_e2e_ms: float) -> bool:
        """Whether measured p95s meet both time limits."""
        return p95_ttft_ms <= self.p95_ttft_ms and p95_e2e_ms <= self.p95_e2e_ms


def _round_up(ms: float, step: float = 10.0) -> float:
    return -(-ms // step) * step


def latency_limits(shape: ModelShape, workload: Workload, *, gpu: str,
                   efficiencies: dict[str, Efficiency], users: int = 4,
                   headroom: float = DEFAULT_HEADROOM) -> LatencyLimits:
    """The absolute limits a model of ``shape`` should meet on ``gpu`` for ``workload``."""
    if headroom < 1:
        raise ValueError(f"headroom must be at least 1 (got {headroom})")
    predicted = simulate(shape, workload, gpu=gpu, efficiency=efficiencies[gpu], users=users)
    ttft, e2e, rate = predicted.p_ms(95, "ttft"), predicted.p_ms(95), predicted.tokens_per_s()
    return LatencyLimits(gpu, headroom, ttft, e2e, rate, _round_up(ttft * headroom),
                         _round_up(e2e * headroom), math.floor(rate / headroom * 10) / 10)


def golden_workload(*, chars_per_token: float = CHARS_PER_TOKEN) -> Workload:
    """The shipped golden sets as a workload: each example's evaluation prompt (the production
    template with its RAG context, as `nox -s evaluate` sends it) and its gold SQL."""
    from harness.inputs.catalog import load_catalog
    from harness.inputs.golden import load_eval_set
    from harness.inputs.suites_dir import default_eval_sets
    from harness.prompting.prompts import evaluation_prompt

    catalog = load_catalog()
    examples = [e for path in default_eval_sets() for e in load_eval_set(path).examples]
    return Workload.from_texts([evaluation_prompt(e, catalog) for e in examples],
                               [e.sql_gold for e in examples], chars_per_token=chars_per_token)


# The production candidate's shape: Llama-3.1-70B-Instruct's config.json, AWQ W4A16 group 128.
LLAMA_70B_AWQ = ModelShape(hidden_size=8192, num_layers=80, num_heads=64, num_kv_heads=8,
                           head_dim=128, intermediate_size=28672, vocab_size=128256,
                           quantization="awq", bits=4, group_size=128)


def derived_limits(shape: ModelShape = LLAMA_70B_AWQ, workload: Workload | None = None, *,
                   users: int = 4, headroom: float = DEFAULT_HEADROOM) -> dict[str, LatencyLimits]:
    """Limits for every GPU on the golden workload, efficiencies calibrated on our runs."""
    workload = workload or golden_workload()
    efficiencies = calibrate(LLAMA_70B_AWQ)
    return {gpu: latency_limits(shape, workload, gpu=gpu, efficiencies=efficiencies,
                                users=users, headroom=headroom) for gpu in GPUS}


def main() -> int:
    """``python -m harness.serving.latency_model``: the calibration and the derived limits, as JSON."""
    import json
    from dataclasses import asdict

    workload = golden_workload()
    body = {
        "workload": {"requests": len(workload.prompt_tokens),
                     "prompt_tokens_p50": percentile(workload.prompt_tokens, 50),
                     "prompt_tokens_max": max(workload.prompt_tokens),
                     "output_tokens_p50": percentile(workload.output_tokens, 50),
                     "output_tokens_p95": percentile(workload.output_tokens, 95),
                     "chars_per_token": CHARS_PER_TOKEN},
        "efficiencies": {gpu: asdict(e) for gpu, e in calibrate(LLAMA_70B_AWQ).items()},
        "limits": {gpu: asdict(limit) for gpu, limit in derived_limits(workload=workload).items()},
    }
    print(json.dumps(body, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
