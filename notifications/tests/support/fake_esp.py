"""A local stand-in for an ESP's HTTP API (Postmark's shape by default).

A stdlib ThreadingHTTPServer on 127.0.0.1 that records every request and
answers with whatever the test scripted, so Anymail's real backend code runs
against a real socket.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# A responder gets the request and returns (status, JSON body).
Responder = Callable[[RecordedRequest], tuple[int, Any]]


def postmark_ok(request: RecordedRequest) -> tuple[int, Any]:
    payload = request.json()
    return 200, {
        "To": payload.get("To", ""),
        "SubmittedAt": "2026-01-01T00:00:00Z",
        "MessageID": f"pm-{abs(hash(request.body)) % 10**12}",
        "ErrorCode": 0,
        "Message": "OK",
    }


@dataclass
class FakeEsp:
    requests: list[RecordedRequest] = field(default_factory=list)
    responder: Responder = postmark_ok
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> FakeEsp:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = RecordedRequest(
                    "POST", self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                with fake.lock:
                    fake.requests.append(request)
                status, body = fake.responder(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"
