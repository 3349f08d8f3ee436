"""The closed-loop load generator: N users stream chat completions back to back (locust, headless).

Each user sends a request, reads the stream to its end, and sends the next one at once (no think
time), so exactly N requests are in flight: the requirement's 4 concurrent users. The first
``warmup_per_user`` requests of each user are recorded but excluded from the statistics
(connections, CUDA graphs and caches settle in them). Prompts come from the golden set with a
RAG context sized like production's (6.5k–16k characters, spread over that range), and every
request of a run gets a different prompt, so prefix caching cannot turn the run into a cache
benchmark (the shared instruction text is still cached, as in production).

locust drives the users with gevent, which monkey-patches the standard library on import; that
must not happen inside pytest or the CLI, so ``run_closed_loop`` starts this module as a child
process (``python -m harness.serving.load_generator SPEC OUT``), which imports locust first and writes one
``RequestRecord`` per line. The statistics are ``harness.serving.latency``'s pure functions.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.serving.latency import RequestRecord, summarize_latency

API_KEY_ENV = "SQLGATE_OPENAI_API_KEY"
PRODUCTION_CHARS = (6500, 16000)


@dataclass(frozen=True)
class LoadSpec:
    """One closed-loop run at one concurrency."""

    base_url: str
    model: str
    prompts: tuple[str, ...]
    users: int = 4
    warmup_per_user: int = 1
    requests_per_user: int = 4
    max_tokens: int = 512
    timeout_s: float = 120.0
    ignore_eos: bool = False  # vLLM's extension: always produce max_tokens (for benchmarks)

    @property
    def total_requests(self) -> int:
        return self.users * (self.warmup_per_user + self.requests_per_user)


def latency_prompts(catalog, questions: Sequence[str], count: int, *, seed: int = 0,
                    chars: tuple[int, int] = PRODUCTION_CHARS) -> list[str]:
    """``count`` user prompts: questions drawn (seeded) from ``questions``, each with a RAG
    context aimed at its own size band so the run covers ``chars`` evenly."""
    from harness.prompting.prompts import render_user_prompt
    from harness.prompting.rag_context import build_context

    rng = random.Random(seed)
    low, high = chars
    band = (high - low) / max(count, 1)
    prompts = []
    for i in range(count):
        question = rng.choice(list(questions))
        target = (int(low + i * band), int(low + (i + 1) * band))
        context = build_context(question, catalog, target_chars=target, seed=seed + i)
        prompts.append(render_user_prompt(question, context))
    rng.shuffle(prompts)
    return prompts


def run_closed_loop(spec: LoadSpec, *, python: str = sys.executable) -> list[RequestRecord]:
    """Run ``spec`` in a locust child process; one record per request (warm-up included)."""
    with tempfile.TemporaryDirectory(prefix="sqlgate-load-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "records.jsonl"
        spec_path.write_text(json.dumps(asdict(spec)), encoding="utf-8")
        deadline = spec.timeout_s * (spec.warmup_per_user + spec.requests_per_user) + 60
        completed = subprocess.run(
            [python, "-m", "harness.serving.load_generator", str(spec_path), str(out_path)],
            capture_output=True, text=True, timeout=deadline, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"load generator failed ({completed.returncode}): "
                               f"{completed.stderr[-2000:]}")
        lines = out_path.read_text(encoding="utf-8").splitlines()
    return [RequestRecord.from_json(json.loads(line)) for line in lines if line]


def run_sweep(base_url: str, model: str, prompts: Sequence[str], *,
              concurrencies: Sequence[int] = (1, 2, 4, 8), warmup_per_user: int = 1,
              requests_per_user: int = 4, max_tokens: int = 512, timeout_s: float = 120.0,
              ignore_eos: bool = False, roofline_step_s: dict[int, float] | None = None
              ) -> dict[str, dict]:
    """One closed-loop run per concurrency; summaries keyed by the concurrency (as text).

    Each run takes the next slice of ``prompts`` so that no prompt repeats across runs either
    (a repeated prompt would measure the prefix cache); the prompts wrap when too few.
    """
    summaries: dict[str, dict] = {}
    offset = 0
    for users in concurrencies:
        need = users * (warmup_per_user + requests_per_user)
        chosen = tuple(prompts[(offset + i) % len(prompts)] for i in range(need))
        offset += need
        spec = LoadSpec(base_url, model, chosen, users, warmup_per_user, requests_per_user,
                        max_tokens, timeout_s, ignore_eos)
        records = run_closed_loop(spec)
        step = (roofline_step_s or {}).get(users)
        summaries[str(users)] = summarize_latency(records, concurrency=users,
                                                  roofline_step_s=step)
    return summaries


def _chat_body(spec: dict, prompt: str) -> dict:
    body = {"model": spec["model"], "messages": [{"role": "user", "content": prompt}],
            "max_tokens": spec["max_tokens"], "temperature": 0.0, "stream": True,
            "stream_options": {"include_usage": True}}
    if spec["ignore_eos"]:
        body["ignore_eos"] = True
    return body


def _read_stream(lines, sent: float) -> tuple[float | None, list[float], int | None]:
    """(TTFT, token-chunk times, completion tokens from the usage chunk) of an SSE stream.

    Every chunk with a choice is a token event, its text empty or not, as `vllm bench serve`
    counts them: a token may decode to nothing (a dummy-weight model's mostly do), and TTFT
    must still be measured. The usage-only chunk (no choices) is not a token.
    """
    ttft, times, usage_tokens = None, [], None
    for raw in lines:
        line = raw.decode() if isinstance(raw, bytes) else raw
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        chunk = json.loads(data)
        if chunk.get("usage"):
            usage_tokens = chunk["usage"].get("completion_tokens", usage_tokens)
        if chunk.get("choices"):
            now = time.perf_counter()
            ttft = now - sent if ttft is None else ttft
            times.append(now)
    return ttft, times, usage_tokens


def _locust_main(spec_path: str, out_path: str) -> int:
    """The child process: run the spec with locust's Environment, write the records."""
    import gevent
    from locust import HttpUser, constant, task
    from locust.env import Environment
    from locust.exception import StopUser

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    prompts = spec["prompts"]
    per_user = spec["warmup_per_user"] + spec["requests_per_user"]
    headers = {"Content-Type": "application/json"}
    if os.environ.get(API_KEY_ENV):
        headers["Authorization"] = f"Bearer {os.environ[API_KEY_ENV]}"
    records: list[RequestRecord] = []
    origin = time.perf_counter()
    ids = iter(range(spec["users"]))

    class ChatUser(HttpUser):
        host = spec["base_url"].rstrip("/").removesuffix("/v1")
        wait_time = constant(0)  # closed loop: the next request leaves when the last ends

        def on_start(self) -> None:
            self.user_id, self.sent = next(ids), 0

        @task
        def chat(self) -> None:
            if self.sent >= per_user:
                raise StopUser()
            index, self.sent = self.sent, self.sent + 1
            prompt = prompts[(self.user_id * per_user + index) % len(prompts)]
            warmup = index < spec["warmup_per_user"]
            sent = time.perf_counter()
            base = {"user": self.user_id, "index": index, "warmup": warmup,
                    "start_s": sent - origin, "prompt_chars": len(prompt)}
            try:
                with self.client.post("/v1/chat/completions", json=_chat_body(spec, prompt),
                                      headers=headers, stream=True, catch_response=True,
                                      timeout=spec["timeout_s"], name="chat") as response:
                    if response.status_code != 200:
                        response.failure(f"HTTP {response.status_code}")
                        records.append(RequestRecord(**base, status="error",
                                                     error=f"HTTP {response.status_code}"))
                        return
                    ttft, times, usage = _read_stream(response.iter_lines(), sent)
                    end = time.perf_counter()
                    response.success()
            except Exception as exc:  # noqa: BLE001 — every failure becomes a record
                kind = "timeout" if "timeout" in type(exc).__name__.lower() or \
                    "timed out" in str(exc).lower() else "error"
                records.append(RequestRecord(**base, status=kind, error=str(exc)[:200]))
                return
            gaps = tuple(b - a for a, b in zip(times, times[1:], strict=False))
            records.append(RequestRecord(**base, status="ok", ttft_s=ttft, e2e_s=end - sent,
                                         output_tokens=usage if usage is not None
                                         else len(times), itl_s=gaps))

    env = Environment(user_classes=[ChatUser])
    runner = env.create_local_runner()
    runner.start(spec["users"], spawn_rate=spec["users"])
    deadline = time.monotonic() + spec["timeout_s"] * per_user + 30
    while len(records) < spec["users"] * per_user and time.monotonic() < deadline:
        gevent.sleep(0.05)
    runner.quit()
    Path(out_path).write_text("".join(json.dumps(r.to_json()) + "\n" for r in records),
                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_locust_main(sys.argv[1], sys.argv[2]))
