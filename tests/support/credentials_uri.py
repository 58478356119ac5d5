"""A local ``ALIBABA_CLOUD_CREDENTIALS_URI`` endpoint: answers GET with a JSON body.

The credentials package expects ``{"Code": "Success", "AccessKeyId", "AccessKeySecret",
"SecurityToken", "Expiration": "2026-01-01T00:00:00Z"}`` (its ``URLCredentialsProvider``).
Set ``body`` to what the next requests get; ``hits`` counts them.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def credentials_body(key_id: str, secret: str, token: str, *, hours: float = 1) -> dict[str, str]:
    expires = datetime.now(UTC) + timedelta(hours=hours)
    return {
        "Code": "Success",
        "AccessKeyId": key_id,
        "AccessKeySecret": secret,
        "SecurityToken": token,
        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class CredentialsUri:
    """Serve ``body`` on ``url`` (127.0.0.1, port 0) until ``stop()``."""

    def __init__(self, body: dict[str, Any], status: int = 200) -> None:
        self.body = body
        self.status = status
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                owner.hits += 1
                data = json.dumps(owner.body).encode()
                self.send_response(owner.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/credentials"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CredentialsUri:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
