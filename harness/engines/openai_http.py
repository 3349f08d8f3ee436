"""The OpenAI-compatible HTTP engine: `/v1/chat/completions` on vLLM's server, the guardrail
proxy or any other server speaking that API.

Requests run concurrently (at most `concurrency` in flight) with a per-request timeout. Rate
limits (429), server errors (5xx) and connection failures are retried with exponential backoff
(honouring `Retry-After` up to the backoff cap); other 4xx are the caller's mistake and fail at
once, as does a malformed completion. One attempt is `harness.engines.chat_http.post_chat`,
the call the guardrail proxy makes too. The API key comes from `SQLGATE_OPENAI_API_KEY` and
never appears in an error or a repr.
"""

from __future__ import annotations

import asyncio
import hashlib
import json

import httpx

from harness.engines.base import EngineError, Generation, SamplingParams
from harness.engines.chat_http import (
    API_KEY_ENV,
    ChatCallFailed,
    auth_headers,
    chat_body,
    completions_url,
    post_chat,
)

__all__ = ["API_KEY_ENV", "OpenAIEngine"]


class OpenAIEngine:
    """Chat completions from `base_url` (with or without the trailing `/v1`) for `model`."""

    name = "openai"

    def __init__(self, base_url: str, model: str, *, concurrency: int = 4,
                 timeout_s: float = 120.0, max_retries: int = 5, backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, system: str | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.url = completions_url(base_url)
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
        limit = asyncio.Semaphore(self.concurrency)
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(headers=auth_headers(), timeout=self.timeout_s,
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

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = min(self.backoff_s * 2 ** attempt, self.max_backoff_s)
        retry_after = response.headers.get("Retry-After") if response is not None else None
        # Retry-After may also be an HTTP date: then our own backoff stands.
        if retry_after and retry_after.replace(".", "", 1).isdigit():
            delay = min(max(delay, float(retry_after)), self.max_backoff_s)
        return delay

    async def _one(self, client: httpx.AsyncClient, limit: asyncio.Semaphore, prompt: str,
                   params: SamplingParams) -> Generation:
        body = chat_body(self.model, prompt, max_tokens=params.max_new_tokens,
                         temperature=params.temperature, top_p=params.top_p, system=self.system)
        problem = ""
        for attempt in range(self.max_retries + 1):
            # The slot is held for one attempt only, so a backing-off request leaves it free.
            async with limit:
                try:
                    return await post_chat(client, self.url, body)
                except ChatCallFailed as failure:
                    if not failure.retryable:
                        raise EngineError(f"{self.url}: {failure}") from None
                    problem, response = str(failure), failure.response
            if attempt < self.max_retries:
                await asyncio.sleep(self._delay(attempt, response))
        raise EngineError(f"{self.url}: gave up after {self.max_retries + 1} attempts: {problem}")
