"""The guardrail proxy: a FastAPI app in front of any OpenAI-compatible server.

Endpoints:
- ``POST /v1/sql/generate`` ``{question, rag_context?, dialect, org_policy?}`` →
  ``{sql, ok, attempts, latency_ms, reasons}``: the prompt is rendered as in evaluation
  (``harness.prompting.prompts``; the retriever builds the context when none is given), the upstream
  model answers, ``harness.serving.guardrail`` checks the answer and retries once;
- ``POST /v1/chat/completions``: passed through unchanged (streaming too), so OpenAI clients and
  the load generator work against the proxy as against the server;
- ``GET /health`` (the proxy and its upstream) and ``GET /metrics`` (Prometheus text format).

Protection: a request body over ``max_body_bytes`` gets 413; more than ``max_concurrency``
requests in flight get 429 with ``Retry-After`` at once (queueing would only hide the overload
in TTFT); a generate request that outlives ``request_timeout_s`` gets 504 and an upstream call
that outlives ``generation_timeout_s`` 502. Logs are one JSON object per line, with sizes but
never prompt contents (unless ``log_prompts``) and never headers, so API keys cannot leak.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

import anyio
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from harness.engines.base import Generation
from harness.serving.guardrail import GuardedAnswer, build_retry_prompt, check_answer, guard_steps

API_KEY_ENV = "SQLGATE_OPENAI_API_KEY"
LATENCY_BUCKETS_S = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
logger = logging.getLogger("sqlgate.proxy")


@dataclass(frozen=True)
class ProxySettings:
    """Where the model is and how much the proxy accepts."""

    upstream_url: str
    model: str
    max_concurrency: int = 4
    max_body_bytes: int = 256 * 1024  # a 16k-character context is ~16 KB: 16× headroom
    request_timeout_s: float = 120.0
    generation_timeout_s: float = 60.0
    max_tokens: int = 512
    log_prompts: bool = False

    @property
    def upstream_root(self) -> str:
        return self.upstream_url.rstrip("/").removesuffix("/v1")


class GenerateRequest(BaseModel):
    """The body of ``POST /v1/sql/generate``."""

    question: str = Field(min_length=1, max_length=4000)
    rag_context: str | None = None
    dialect: Literal["oracle"] = "oracle"
    org_policy: Literal["required", "none"] = "none"


class _Overloaded(Exception):
    """More requests in flight than the proxy allows."""


class _TooLarge(Exception):
    """The request body is over the size limit."""


class _UpstreamError(Exception):
    """The upstream server failed or answered garbage."""


class Metrics:
    """Counters, a latency histogram and the in-flight gauge, rendered by hand as Prometheus
    text (one process, a handful of series: a client library would add nothing)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.buckets: Counter[tuple[str, float]] = Counter()
        self.duration_sum: Counter[str] = Counter()
        self.duration_count: Counter[str] = Counter()
        self.guardrail: Counter[str] = Counter()
        self.in_flight = 0

    def observe(self, path: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests[(path, status)] += 1
            self.duration_sum[path] += seconds
            self.duration_count[path] += 1
            for bound in LATENCY_BUCKETS_S:
                if seconds <= bound:
                    self.buckets[(path, bound)] += 1

    def observe_answer(self, answer: GuardedAnswer) -> None:
        with self.lock:
            self.guardrail["answers"] += 1
            self.guardrail["retries"] += answer.attempts - 1
            self.guardrail["failures"] += 0 if answer.ok else 1

    def render(self) -> str:
        with self.lock:
            lines = ["# HELP sqlgate_proxy_requests_total Requests by path and status.",
                     "# TYPE sqlgate_proxy_requests_total counter"]
            lines += [f'sqlgate_proxy_requests_total{{path="{p}",status="{s}"}} {n}'
                      for (p, s), n in sorted(self.requests.items())]
            lines += ["# HELP sqlgate_proxy_request_duration_seconds Time to the response "
                      "head (streams: to their first byte).",
                      "# TYPE sqlgate_proxy_request_duration_seconds histogram"]
            for path in sorted(self.duration_count):
                for bound in LATENCY_BUCKETS_S:
                    lines.append(f'sqlgate_proxy_request_duration_seconds_bucket{{path="{path}"'
                                 f',le="{bound}"}} {self.buckets[(path, bound)]}')
                lines.append(f'sqlgate_proxy_request_duration_seconds_bucket{{path="{path}",'
                             f'le="+Inf"}} {self.duration_count[path]}')
                lines.append(f'sqlgate_proxy_request_duration_seconds_sum{{path="{path}"}} '
                             f'{self.duration_sum[path]:.6f}')
                lines.append(f'sqlgate_proxy_request_duration_seconds_count{{path="{path}"}} '
                             f'{self.duration_count[path]}')
            for name, help_text in (("answers", "Answers the guardrail checked."),
                                    ("retries", "Guardrail retries sent to the model."),
                                    ("failures", "Answers that failed after the retry.")):
                lines += [f"# HELP sqlgate_proxy_guardrail_{name}_total {help_text}",
                          f"# TYPE sqlgate_proxy_guardrail_{name}_total counter",
                          f"sqlgate_proxy_guardrail_{name}_total {self.guardrail[name]}"]
            lines += ["# HELP sqlgate_proxy_in_flight Requests being served now.",
                      "# TYPE sqlgate_proxy_in_flight gauge",
                      f"sqlgate_proxy_in_flight {self.in_flight}"]
        return "\n".join(lines) + "\n"


def _log(event: str, **fields) -> None:
    logger.info(json.dumps({"event": event, **fields}, default=str))


def create_app(settings: ProxySettings, *, catalog=None, backend=None) -> FastAPI:
    """The proxy app. ``catalog`` defaults to the shipped one; ``backend`` (optional) adds the
    EXPLAIN check (calls to it are serialised: a DuckDB connection is not thread-safe)."""
    if catalog is None:
        from harness.inputs.catalog import load_catalog

        catalog = load_catalog()
    metrics = Metrics()
    check_lock = threading.Lock()
    state: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["client"] = httpx.AsyncClient(
            timeout=settings.generation_timeout_s,
            limits=httpx.Limits(max_connections=settings.max_concurrency * 2))
        yield
        await state["client"].aclose()

    app = FastAPI(title="sqlgate guardrail proxy", lifespan=lifespan)
    app.state.metrics = metrics

    @app.middleware("http")
    async def observe(request: Request, call_next):
        start = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        request.state.request_id = request_id
        response = await call_next(request)
        seconds = time.perf_counter() - start
        path = request.url.path if request.url.path in _ROUTES else "other"
        metrics.observe(path, response.status_code, seconds)
        _log("request", request_id=request_id, method=request.method, path=path,
             status=response.status_code, latency_ms=round(seconds * 1000, 1))
        return response

    class _Slot:
        """One of ``max_concurrency`` places; refused at once when none is free."""

        def __enter__(self) -> None:
            with metrics.lock:
                if metrics.in_flight >= settings.max_concurrency:
                    raise _Overloaded
                metrics.in_flight += 1

        def __exit__(self, *exc) -> None:
            with metrics.lock:
                metrics.in_flight -= 1

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
            raise _TooLarge
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise _TooLarge
        return bytes(body)

    def upstream_headers(request: Request | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        given = request.headers.get("authorization") if request is not None else None
        key = os.environ.get(API_KEY_ENV)
        if given:
            headers["Authorization"] = given
        elif key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    async def complete(prompt: str) -> Generation:
        body = {"model": settings.model, "messages": [{"role": "user", "content": prompt}],
                "max_tokens": settings.max_tokens, "temperature": 0.0}
        start = time.perf_counter()
        try:
            response = await state["client"].post(
                f"{settings.upstream_root}/v1/chat/completions", json=body,
                headers=upstream_headers())
        except httpx.TimeoutException as exc:
            raise _UpstreamError(f"upstream timed out after {settings.generation_timeout_s:g} "
                                 "s") from exc
        except httpx.TransportError as exc:
            raise _UpstreamError(f"upstream unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise _UpstreamError(f"upstream answered HTTP {response.status_code}")
        try:
            data = response.json()
            text = data["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _UpstreamError("upstream sent a malformed completion") from exc
        usage = data.get("usage") or {}
        return Generation(text, usage.get("prompt_tokens"), usage.get("completion_tokens"),
                          time.perf_counter() - start)

    def checked(raw: str | None, org_policy: str):
        if backend is None:
            return check_answer(raw, catalog=catalog, org_policy=org_policy)
        with check_lock:
            return check_answer(raw, catalog=catalog, backend=backend, org_policy=org_policy)

    def render_prompt(question: str, rag_context: str | None) -> str:
        from harness.prompting.prompts import render_user_prompt
        from harness.prompting.rag_context import build_context

        context = rag_context if rag_context else build_context(question, catalog).text
        return render_user_prompt(question, context)

    async def guarded(body: GenerateRequest) -> GuardedAnswer:
        prompt = await anyio.to_thread.run_sync(render_prompt, body.question, body.rag_context)
        steps = guard_steps(prompt, lambda raw: checked(raw, body.org_policy),
                            retry_prompt_builder=build_retry_prompt)

        def advance(generation: Generation) -> tuple[str | None, GuardedAnswer | None]:
            # StopIteration must not cross a thread/await boundary: asyncio refuses it.
            try:
                return steps.send(generation), None
            except StopIteration as done:
                return None, done.value

        pending = next(steps)
        while True:
            generation = await complete(pending)
            pending, answer = await anyio.to_thread.run_sync(advance, generation)
            if answer is not None:
                return answer

    def error(status: int, message: str, **headers: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers or None)

    def overloaded() -> JSONResponse:
        return error(429, f"over capacity: at most {settings.max_concurrency} requests in "
                          "flight; retry shortly", **{"Retry-After": "1"})

    def too_large() -> JSONResponse:
        return error(413, f"request body over {settings.max_body_bytes} bytes")

    @app.post("/v1/sql/generate")
    async def generate(request: Request) -> Response:
        start = time.perf_counter()
        try:
            with _Slot():
                raw = await read_body(request)
                body = GenerateRequest.model_validate_json(raw)
                answer = await asyncio.wait_for(guarded(body), settings.request_timeout_s)
        except _Overloaded:
            return overloaded()
        except _TooLarge:
            return too_large()
        except ValidationError as exc:
            return error(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                        for e in exc.errors()))
        except TimeoutError:
            return error(504, f"no answer within {settings.request_timeout_s:g} s")
        except _UpstreamError as exc:
            return error(502, str(exc))
        metrics.observe_answer(answer)
        latency_ms = (time.perf_counter() - start) * 1000
        fields = {"question": body.question} if settings.log_prompts else {}
        _log("sql_generate", request_id=request.state.request_id,
             question_chars=len(body.question), attempts=answer.attempts, ok=answer.ok,
             reasons=[r.code for r in answer.reasons], latency_ms=round(latency_ms, 1),
             **fields)
        return JSONResponse({"sql": answer.sql, "ok": answer.ok, "attempts": answer.attempts,
                             "latency_ms": latency_ms,
                             "reasons": [r.to_json() for r in answer.reasons]})

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        slot = _Slot()
        try:
            slot.__enter__()
        except _Overloaded:
            return overloaded()
        try:
            raw = await read_body(request)
            stream = bool(json.loads(raw or b"{}").get("stream"))
            upstream = state["client"].build_request(
                "POST", f"{settings.upstream_root}/v1/chat/completions", content=raw,
                headers=upstream_headers(request))
            response = await state["client"].send(upstream, stream=stream)
        except _TooLarge:
            slot.__exit__()
            return too_large()
        except ValueError:
            slot.__exit__()
            return error(400, "body is not JSON")
        except httpx.HTTPError as exc:
            slot.__exit__()
            return error(502, f"upstream failed: {type(exc).__name__}")
        if not stream:
            slot.__exit__()
            return Response(response.content, status_code=response.status_code,
                            media_type=response.headers.get("content-type"))

        async def relay() -> AsyncIterator[bytes]:
            # The slot is held until the stream ends: a streaming request is in flight
            # for its whole generation, not just until its headers went out.
            try:
                async for chunk in response.aiter_raw():
                    yield chunk
            finally:
                await response.aclose()
                slot.__exit__()

        return StreamingResponse(relay(), status_code=response.status_code,
                                 media_type=response.headers.get("content-type"))

    @app.get("/health")
    async def health() -> Response:
        try:
            upstream = await state["client"].get(f"{settings.upstream_root}/health", timeout=5)
            ok = upstream.status_code == 200
        except httpx.HTTPError:
            ok = False
        return JSONResponse({"status": "ok" if ok else "degraded", "upstream": ok},
                            status_code=200 if ok else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        return PlainTextResponse(metrics.render(),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


_ROUTES = frozenset({"/v1/sql/generate", "/v1/chat/completions", "/health", "/metrics"})


def serve_guardrail_command(upstream_url: str, *, model: str, host: str = "127.0.0.1",
                            port: int = 8080, max_concurrency: int = 4,
                            max_body_bytes: int = 256 * 1024, request_timeout_s: float = 120.0,
                            generation_timeout_s: float = 60.0, explain_db: str | None = None,
                            log_prompts: bool = False) -> int:
    """``sqlgate serve-guardrail``: run the proxy until interrupted; exit status 0."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    backend = None
    if explain_db:
        from harness.backends.duckdb_backend import DuckDBBackend

        backend = DuckDBBackend(explain_db, "proxy-explain")
    settings = ProxySettings(upstream_url, model, max_concurrency, max_body_bytes,
                             request_timeout_s, generation_timeout_s, log_prompts=log_prompts)
    # uvicorn's access log prints query strings and client addresses; ours is the JSON line.
    uvicorn.run(create_app(settings, backend=backend), host=host, port=port, access_log=False)
    return 0
