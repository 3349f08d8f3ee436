"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1, for engine tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    """Answers `POST /v1/chat/completions` with `answer(prompt)`; scripted failures first.

    `failures` is a list of HTTP statuses returned, one per request, before any success;
    `delay_s` is slept per request (while counted in flight); prompts containing "slow" sleep
    `slow_s` instead. Records every request's prompt and Authorization header.
    """

    def __init__(self, *, failures: list[int] | None = None, delay_s: float = 0.0,
                 slow_s: float = 2.0, answer=lambda prompt: "SELECT 1 FROM DUAL") -> None:
        self.failures = list(failures or [])
        self.delay_s = delay_s
        self.slow_s = slow_s
        self.answer = answer
        self.prompts: list[str] = []
        self.authorizations: list[str | None] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 — http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                with fake._lock:
                    fake.prompts.append(prompt)
                    fake.authorizations.append(self.headers.get("Authorization"))
                    failure = fake.failures.pop(0) if fake.failures else None
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    time.sleep(fake.slow_s if "slow" in prompt else fake.delay_s)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                if failure is not None:
                    self._send(failure, {"error": {"message": "try again"}})
                    return
                text = fake.answer(prompt)
                self._send(200, {
                    "id": "cmpl-1", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": len(prompt.split()),
                              "completion_tokens": len(text.split())}})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): nothing to answer

        return Handler
