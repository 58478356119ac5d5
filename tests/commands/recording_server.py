"""A real HTTP server on 127.0.0.1:0 that records requests and answers from a script.

Used by the client and differential tests. Each request pops the next scripted
``Reply`` (or ``Drop``, which closes the connection without answering); when the script
is empty it answers ``default``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: dict[str, Any] | bytes = field(default_factory=lambda: {"RequestId": "REQ-1"})
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Drop:
    """Read the request, then close the connection without a response."""


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    raw_query: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


def split_query(raw: str) -> list[tuple[str, str]]:
    """Decode a query as servers do: ``+`` is a space (the official SDK sends ``+``).

    We send spaces as ``%20`` and ``+`` as ``%2B``, so both decode the same way.
    """
    pairs = []
    for item in filter(None, raw.split("&")):
        name, _, value = item.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


class RecordingServer:
    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply()
        self.script: deque[Reply | Drop] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                server._handle(self)

            do_GET = do_POST

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        path, _, raw_query = handler.path.partition("?")
        record = Recorded(
            handler.command,
            path,
            raw_query,
            split_query(raw_query),
            {name.lower(): value for name, value in handler.headers.items()},
            body,
        )
        with self._lock:
            self.requests.append(record)
            step = self.script.popleft() if self.script else self.default
        if isinstance(step, Drop):
            handler.close_connection = True
            handler.connection.close()
            return
        if step.delay:
            time.sleep(step.delay)
        payload = step.body if isinstance(step.body, bytes) else json.dumps(step.body).encode()
        try:
            handler.send_response(step.status)
            content_type = "application/json" if isinstance(step.body, dict) else "text/html"
            handler.send_header("content-type", content_type)
            handler.send_header("content-length", str(len(payload)))
            for name, value in step.headers:
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            return  # the client gave up (read timeout): nothing left to tell it
