"""Test helpers: a fake OpenAI-compatible server and a loopback uvicorn runner for ASGI apps."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


def fake_openai_app(answer: Callable[[str], str], *, delay_s: float = 0.0,
                    token_delay_s: float = 0.0) -> FastAPI:
    """Chat completions answering ``answer(last user message)``, word by word when streamed.

    ``delay_s`` is the time to the first token; ``token_delay_s`` the time between tokens.
    ``app.state.requests`` keeps every request body and its headers.
    """
    app = FastAPI()
    app.state.requests = []

    @app.get("/health")
    async def health() -> dict:
        return {"ok": True}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        app.state.requests.append({"body": body, "headers": dict(request.headers)})
        text = answer(body["messages"][-1]["content"])
        words = text.split(" ")
        if not body.get("stream"):
            await asyncio.sleep(delay_s)
            return JSONResponse({
                "id": "x", "object": "chat.completion", "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 7, "completion_tokens": len(words)}})

        async def events():
            await asyncio.sleep(delay_s)
            for i, word in enumerate(words):
                if i:
                    await asyncio.sleep(token_delay_s)
                piece = word if i == 0 else " " + word
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                yield f"data: {json.dumps(chunk)}\n\n"
            usage = {"choices": [], "usage": {"prompt_tokens": 7,
                                              "completion_tokens": len(words)}}
            yield f"data: {json.dumps(usage)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
