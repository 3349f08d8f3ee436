"""One chat-completions call over HTTP, shared by the engine (`harness.engines.openai_http`,
which adds concurrency and retries) and the guardrail proxy (`harness.serving.proxy`, which
calls once per guardrail attempt and relays its clients' own requests).

Decisions kept in one place: URLs are accepted with or without the trailing `/v1`; the API key
comes from `SQLGATE_OPENAI_API_KEY` (or a caller's own `Authorization` header on pass-through)
and never appears in an error; a failed call is a `ChatCallFailed` whose `kind` says whether a
retry could help, so each caller words and retries it its own way.
"""

from __future__ import annotations

import os
import time
from typing import Literal

import httpx

from harness.engines.base import EngineError, Generation

API_KEY_ENV = "SQLGATE_OPENAI_API_KEY"
FailureKind = Literal["timeout", "unreachable", "status", "malformed"]


class ChatCallFailed(EngineError):
    """One call that gave no Generation. `kind`: timeout / unreachable (transport), status (an
    HTTP answer other than 200; `status` holds it) or malformed (a 200 without a completion)."""

    def __init__(self, kind: FailureKind, problem: str, *,
                 response: httpx.Response | None = None) -> None:
        super().__init__(problem)
        self.kind = kind
        self.response = response

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    @property
    def retryable(self) -> bool:
        """Transport failures, rate limits (429) and server errors (5xx); not the caller's
        own mistakes (other 4xx) nor a server that answers garbage."""
        if self.kind == "status":
            return self.status == 429 or (self.status or 0) >= 500
        return self.kind in ("timeout", "unreachable")


def server_root(base_url: str) -> str:
    """`http://host:port` of a base URL given with or without `/v1`."""
    return base_url.rstrip("/").removesuffix("/v1")


def completions_url(base_url: str) -> str:
    return f"{server_root(base_url)}/v1/chat/completions"


def auth_headers(authorization: str | None = None) -> dict[str, str]:
    """JSON content type plus `authorization` when given (a client's own key, passed through),
    else a bearer token from `SQLGATE_OPENAI_API_KEY` when set."""
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(API_KEY_ENV)
    if authorization:
        headers["Authorization"] = authorization
    elif key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def chat_body(model: str, prompt: str, *, max_tokens: int, temperature: float,
              top_p: float | None = None, system: str | None = None) -> dict:
    """A non-streaming request for one user prompt (after an optional system prompt)."""
    messages = [] if system is None else [{"role": "system", "content": system}]
    messages.append({"role": "user", "content": prompt})
    body = {"model": model, "messages": messages, "max_tokens": max_tokens,
            "temperature": temperature}
    if top_p is not None:
        body["top_p"] = top_p
    return body


def parse_completion(response: httpx.Response, seconds: float) -> Generation:
    """The Generation in a chat-completions response; ChatCallFailed("malformed") without."""
    try:
        data = response.json()
        text = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ChatCallFailed("malformed", f"malformed chat completion: {type(exc).__name__}: "
                                          f"{exc}") from None
    usage = data.get("usage") or {}
    return Generation(text=text or "", prompt_tokens=usage.get("prompt_tokens"),
                      completion_tokens=usage.get("completion_tokens"), seconds=seconds)


async def post_chat(client: httpx.AsyncClient, url: str, body: dict,
                    headers: dict[str, str] | None = None) -> Generation:
    """One POST of `body` to `url`: its Generation, or ChatCallFailed."""
    start = time.perf_counter()
    try:
        response = await client.post(url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise ChatCallFailed("timeout", f"{type(exc).__name__}: {exc}") from exc
    except httpx.TransportError as exc:  # connection refused, reset
        raise ChatCallFailed("unreachable", f"{type(exc).__name__}: {exc}") from exc
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise ChatCallFailed("status", f"HTTP {response.status_code}: {response.text[:200]}",
                             response=response)
    return parse_completion(response, seconds)
