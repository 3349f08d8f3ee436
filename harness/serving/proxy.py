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
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Literal

import anyio
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from harness.engines.base import Generation
from harness.engines.chat_http import (
    API_KEY_ENV,
    ChatCallFailed,
    auth_headers,
    chat_body,
    completions_url,
    post_chat,
    server_root,
)
from harness.serving.guardrail import (
    GuardedAnswer,
    GuardrailCheck,
    build_retry_prompt,
    check_answer,
    guard_steps,
)

__all__ = ["API_KEY_ENV", "ProxySettings", "create_app", "serve_guardrail_command"]
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


class GenerateRequest(BaseModel):
    """The body of ``POST /v1/sql/generate``."""

    question: str = Field(min_length=1, max_length=4000)
    rag_context: str | None = None
    dialect: Literal["oracle"] = "oracle"
    org_policy: Literal["required", "none"] = "none"


class Metrics:
    """Counters, a latency histogram and the in-flight gauge, rendered by hand as Prometheus
    text (one process, a handful of series: a client library would add nothing)."""

    def __init__(self, slots: Slots) -> None:
        self.slots = slots
        self.lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.buckets: Counter[tuple[str, float]] = Counter()
        self.duration_sum: Counter[str] = Counter()
        self.duration_count: Counter[str] = Counter()
        self.guardrail: Counter[str] = Counter()

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
                      f"sqlgate_proxy_in_flight {self.slots.in_flight}"]
        return "\n".join(lines) + "\n"


def _log(event: str, **fields) -> None:
    logger.info(json.dumps({"event": event, **fields}, default=str))


class Refused(Exception):
    """A request the proxy answers with an error instead of a result: `status`, the message
    given to the client, and extra response headers."""

    status = 500

    def __init__(self, message: str, **headers: str) -> None:
        super().__init__(message)
        self.headers = headers

    def response(self) -> JSONResponse:
        return JSONResponse({"error": str(self)}, status_code=self.status,
                            headers=self.headers or None)


class Overloaded(Refused):
    status = 429


class TooLarge(Refused):
    status = 413


class BadRequest(Refused):
    status = 400


class Invalid(Refused):
    status = 422


class UpstreamFailed(Refused):
    status = 502


class TimedOut(Refused):
    status = 504


class Slots:
    """At most `capacity` requests in flight; one more is refused at once (429), never queued.

    `hold()` is the only way to take a place, and it gives it back when its block ends.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_flight = 0
        self._lock = threading.Lock()

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._lock:
            if self.in_flight >= self.capacity:
                raise Overloaded(f"over capacity: at most {self.capacity} requests in flight; "
                                 "retry shortly", **{"Retry-After": "1"})
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length")
    too_large = TooLarge(f"request body over {limit} bytes")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def parse_generate(raw: bytes) -> GenerateRequest:
    """The generate body, or Invalid (422) naming each bad field."""
    try:
        return GenerateRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise Invalid("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                for e in exc.errors())) from None


def wants_stream(raw: bytes) -> bool:
    """Whether a chat-completions body asks for a stream; BadRequest (400) unless it is a
    JSON object."""
    try:
        return bool(json.loads(raw or b"{}").get("stream"))
    except (ValueError, AttributeError):
        raise BadRequest("body is not a JSON object") from None


class Upstream:
    """The OpenAI-compatible server behind the proxy, over one pooled HTTP client that lives
    as long as the app (`async with upstream:` in the app's lifespan)."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self.url = completions_url(settings.upstream_url)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Upstream:
        self._client = httpx.AsyncClient(
            timeout=self.settings.generation_timeout_s,
            limits=httpx.Limits(max_connections=self.settings.max_concurrency * 2))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the upstream client is opened by the app's lifespan")
        return self._client

    async def complete(self, prompt: str) -> Generation:
        """The model's answer to `prompt` (greedy); UpstreamFailed (502) when there is none."""
        body = chat_body(self.settings.model, prompt, max_tokens=self.settings.max_tokens,
                         temperature=0.0)
        try:
            return await post_chat(self.client, self.url, body, auth_headers())
        except ChatCallFailed as failure:
            raise UpstreamFailed(self._problem(failure)) from None

    def _problem(self, failure: ChatCallFailed) -> str:
        # Worded for the client: no upstream body, URL or header is repeated to it.
        if failure.kind == "timeout":
            return f"upstream timed out after {self.settings.generation_timeout_s:g} s"
        if failure.kind == "unreachable":
            return f"upstream unreachable: {type(failure.__cause__).__name__}"
        if failure.kind == "status":
            return f"upstream answered HTTP {failure.status}"
        return "upstream sent a malformed completion"

    async def forward(self, raw: bytes, authorization: str | None,
                      stream: bool) -> httpx.Response:
        """A client's chat-completions body sent on unchanged (its own key, if it gave one);
        with `stream` the response body is left unread, for the caller to relay and close."""
        request = self.client.build_request("POST", self.url, content=raw,
                                            headers=auth_headers(authorization))
        try:
            return await self.client.send(request, stream=stream)
        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"upstream failed: {type(exc).__name__}") from None

    async def healthy(self) -> bool:
        try:
            response = await self.client.get(f"{server_root(self.settings.upstream_url)}"
                                              "/health", timeout=5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


class GuardedGenerator:
    """`POST /v1/sql/generate` without HTTP: render the prompt as evaluation does, ask the
    upstream, check the answer and retry once (`guardrail.guard_steps`).

    Prompt rendering and checking are CPU work and run in a worker thread; the EXPLAIN
    backend, when given, is used by one thread at a time (a DuckDB connection is not
    thread-safe)."""

    def __init__(self, upstream: Upstream, catalog, backend=None) -> None:
        self.upstream = upstream
        self.catalog = catalog
        self.backend = backend
        self._backend_lock = threading.Lock()

    def render_prompt(self, question: str, rag_context: str | None) -> str:
        from harness.prompting.prompts import render_user_prompt
        from harness.prompting.rag_context import build_context

        context = rag_context if rag_context else build_context(question, self.catalog).text
        return render_user_prompt(question, context)

    def check(self, raw: str | None, org_policy: str) -> GuardrailCheck:
        if self.backend is None:
            return check_answer(raw, catalog=self.catalog, org_policy=org_policy)
        with self._backend_lock:
            return check_answer(raw, catalog=self.catalog, backend=self.backend,
                                org_policy=org_policy)

    async def answer(self, request: GenerateRequest) -> GuardedAnswer:
        prompt = await anyio.to_thread.run_sync(self.render_prompt, request.question,
                                                request.rag_context)
        steps = guard_steps(prompt, lambda raw: self.check(raw, request.org_policy),
                            retry_prompt_builder=build_retry_prompt)

        def advance(generation: Generation) -> tuple[str | None, GuardedAnswer | None]:
            # StopIteration must not cross a thread/await boundary: asyncio refuses it.
            try:
                return steps.send(generation), None
            except StopIteration as done:
                return None, done.value

        pending = next(steps)
        while True:
            generation = await self.upstream.complete(pending)
            pending, answer = await anyio.to_thread.run_sync(advance, generation)
            if answer is not None:
                return answer

    async def answer_within(self, request: GenerateRequest, seconds: float) -> GuardedAnswer:
        try:
            return await asyncio.wait_for(self.answer(request), seconds)
        except TimeoutError:
            raise TimedOut(f"no answer within {seconds:g} s") from None


class HeldStreamingResponse(StreamingResponse):
    """A streamed response that keeps `held` (its concurrency slot and the upstream response)
    until the stream has ended, failed or been abandoned by the client: a streaming request is
    in flight for its whole generation, not just until its head went out."""

    def __init__(self, upstream: httpx.Response, held: AsyncExitStack) -> None:
        super().__init__(upstream.aiter_raw(), status_code=upstream.status_code,
                         media_type=upstream.headers.get("content-type"))
        self.held = held

    async def __call__(self, scope, receive, send) -> None:
        async with self.held:
            await super().__call__(scope, receive, send)


class ObserveRequests:
    """ASGI middleware: a request id, the Prometheus counters and one JSON log line per
    request, timed to the response head (for streams, their first byte). Plain ASGI rather
    than `@app.middleware`, which would copy every streamed chunk through a second queue."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope["path"] if scope["path"] in _ROUTES else "other"

        async def observed_send(message) -> None:
            if message["type"] == "http.response.start":
                seconds = time.perf_counter() - start
                self.metrics.observe(path, message["status"], seconds)
                _log("request", request_id=request_id, method=scope["method"], path=path,
                     status=message["status"], latency_ms=round(seconds * 1000, 1))
            await send(message)

        await self.app(scope, receive, observed_send)


def create_app(settings: ProxySettings, *, catalog=None, backend=None) -> FastAPI:
    """The proxy app. ``catalog`` defaults to the shipped one; ``backend`` (optional) adds the
    EXPLAIN check."""
    if catalog is None:
        from harness.inputs.catalog import load_catalog

        catalog = load_catalog()
    slots = Slots(settings.max_concurrency)
    metrics = Metrics(slots)
    upstream = Upstream(settings)
    generator = GuardedGenerator(upstream, catalog, backend)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with upstream:
            yield

    app = FastAPI(title="sqlgate guardrail proxy", lifespan=lifespan)
    app.state.metrics = metrics
    app.add_middleware(ObserveRequests, metrics=metrics)

    @app.exception_handler(Refused)
    async def refused(request: Request, refusal: Refused) -> Response:
        return refusal.response()

    @app.post("/v1/sql/generate")
    async def generate(request: Request) -> Response:
        start = time.perf_counter()
        with slots.hold():
            body = parse_generate(await read_body(request, settings.max_body_bytes))
            answer = await generator.answer_within(body, settings.request_timeout_s)
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
        async with AsyncExitStack() as held:
            held.enter_context(slots.hold())
            raw = await read_body(request, settings.max_body_bytes)
            stream = wants_stream(raw)
            response = await upstream.forward(raw, request.headers.get("authorization"),
                                              stream)
            held.push_async_callback(response.aclose)
            if stream:
                return HeldStreamingResponse(response, held.pop_all())
            return Response(response.content, status_code=response.status_code,
                            media_type=response.headers.get("content-type"))

    @app.get("/health")
    async def health() -> Response:
        ok = await upstream.healthy()
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
