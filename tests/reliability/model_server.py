"""A fake OpenAI-compatible model server run as its own process, so a test can kill it.

Usage: `python model_server.py LOG [PORT]`. It prints its port on the first line of stdout,
answers each chat completion after DELAY seconds with `SELECT <n> FROM DUAL`, and appends
one JSON line to LOG per answer actually sent (after the response is flushed), so the test
knows exactly which generations finished before it killed the process.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY_S = 0.15
_log_lock = threading.Lock()


def main() -> None:
    log_path = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 — http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][-1]["content"]
            time.sleep(DELAY_S)
            answer = {"choices": [{"message": {"content": "SELECT 1 FROM DUAL"}}],
                      "usage": {"prompt_tokens": 3, "completion_tokens": 5}}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            with _log_lock, open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(prompt) + "\n")

        def log_message(self, *args) -> None:  # keep stderr quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
