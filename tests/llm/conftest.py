"""A local OpenAI-compatible chat-completions server on a real socket, with canned replies.

`server.script[doc_key]` is a list of actions used one per request (the last one repeats):
("reply", content, finish_reason), ("status", code), ("sleep", seconds, content) or ("garbage", bytes).
The document a request is for is found by `server.route(last user message)`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class CannedServer:
    def __init__(self) -> None:
        self.script: dict[str, list[tuple[Any, ...]]] = {}
        self.route: Callable[[str], str] = lambda text: "default"
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def _next(self, key: str) -> tuple[Any, ...]:
        with self.lock:
            actions = self.script.get(key) or self.script.get("default") or [("status", 500)]
            return actions.pop(0) if len(actions) > 1 else actions[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = server.route(body["messages"][-1]["content"])
                with server.lock:
                    server.requests.append({"key": key, "path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                action = server._next(key)
                if action[0] == "status":
                    self._send(action[1], b'{"error": {"message": "busy"}}')
                    return
                if action[0] == "garbage":
                    self._send(200, action[1])
                    return
                if action[0] == "sleep":
                    time.sleep(action[1])
                    action = ("reply", action[2], "stop")
                reply = {"id": "x", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": action[1]}, "finish_reason": action[2]}],
                         "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
                try:
                    self._send(200, json.dumps(reply, ensure_ascii=False).encode("utf-8"))
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


@pytest.fixture
def server() -> Iterator[CannedServer]:
    s = CannedServer()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()
