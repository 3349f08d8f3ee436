"""The OpenAI-compatible HTTP engine: `/v1/chat/completions` on vLLM's server, the guardrail
proxy or any other server speaking that API.

Requests run concurrently (at most `concurrency` in flight) with a per-request timeout. Rate
limits (429), server errors (5xx) and connection failures are retried with exponential backoff
(honouring `Retry-After` up to the backoff cap); other 4xx are the caller's mistake and fail at
once. The API key comes from `SQLGATE_OPENAI_API_KEY` and never appears in an error or a repr.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time

import httpx

from harness.engines.base import EngineError, Generation, SamplingParams

API_KEY_ENV = "SQLGATE_OPENAI_API_KEY"


class OpenAIEngine:
    """Chat completions from `base_url` (with or without the trailing `/v1`) for `model`."""

    name = "openai"

    def __init__(self, base_url: str, model: str, *, concurrency: int = 4,
                 timeout_s: float = 120.0, max_retries: int = 5, backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, system: str | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        root = base_url.rstrip("/")
        self.url = (root if root.endswith("/v1") else f"{root}/v1") + "/chat/completions"
        self.model = model
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.system = system

    def __repr__(self) -> str:
        return f"OpenAIEngine(url={self.url!r}, model={self.model!r})"

    @property
    def fingerprint(self) -> str:
        """Endpoint, served model name and system prompt.

        A server cannot tell us its weights: serve each candidate under its own model name so
        that a cached answer is never reused for different weights behind the same name.
        """
        material = json.dumps([self.url, self.model, self.system])
        return "openai:" + hashlib.sha256(material.encode()).hexdigest()

    def generate(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        """One completion per prompt, in order; EngineError once a request exhausts retries."""
        return asyncio.run(self._generate_all(prompts, params))

    async def _generate_all(self, prompts: list[str], params: SamplingParams) -> list[Generation]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(API_KEY_ENV)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        limit = asyncio.Semaphore(self.concurrency)
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(headers=headers, timeout=self.timeout_s,
                                     limits=limits) as client:
            tasks = [self._one(client, limit, prompt, params) for prompt in prompts]
            # Every request runs to its end, so the answers that did finish survive a failure.
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        for failure in failures:
            if not isinstance(failure, EngineError):
                raise failure
        if failures:
            partial = [o if isinstance(o, Generation) else None for o in outcomes]
            raise EngineError(f"{len(failures)} of {len(prompts)} requests failed; first: "
                              f"{failures[0]}", partial=partial)
        return list(outcomes)

    def _body(self, prompt: str, params: SamplingParams) -> dict:
        messages = [] if self.system is None else [{"role": "system", "content": self.system}]
        messages.append({"role": "user", "content": prompt})
        return {"model": self.model, "messages": messages, "max_tokens": params.max_new_tokens,
                "temperature": params.temperature, "top_p": params.top_p}

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = min(self.backoff_s * 2 ** attempt, self.max_backoff_s)
        retry_after = response.headers.get("Retry-After") if response is not None else None
        # Retry-After may also be an HTTP date: then our own backoff stands.
        if retry_after and retry_after.replace(".", "", 1).isdigit():
            delay = min(max(delay, float(retry_after)), self.max_backoff_s)
        return delay

    async def _one(self, client: httpx.AsyncClient, limit: asyncio.Semaphore, prompt: str,
                   params: SamplingParams) -> Generation:
        body = self._body(prompt, params)
        problem = ""
        for attempt in range(self.max_retries + 1):
            response = None
            # The slot is held for one attempt only, so a backing-off request leaves it free.
            async with limit:
                start = time.perf_counter()
                try:
                    response = await client.post(self.url, json=body)
                except httpx.TransportError as exc:  # connection refused, reset, timeout
                    problem = f"{type(exc).__name__}: {exc}"
                seconds = time.perf_counter() - start
            if response is not None:
                if response.status_code == 200:
                    return _parse(response, seconds)
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code != 429 and response.status_code < 500:
                    raise EngineError(f"{self.url}: {problem}")
            if attempt < self.max_retries:
                await asyncio.sleep(self._delay(attempt, response))
        raise EngineError(f"{self.url}: gave up after {self.max_retries + 1} attempts: {problem}")


def _parse(response: httpx.Response, seconds: float) -> Generation:
    """The Generation in a chat-completions response; EngineError when it has none."""
    try:
        data = response.json()
        text = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise EngineError(f"malformed chat completion: {type(exc).__name__}: {exc}") from None
    usage = data.get("usage") or {}
    return Generation(text=text or "", prompt_tokens=usage.get("prompt_tokens"),
                      completion_tokens=usage.get("completion_tokens"), seconds=seconds)
