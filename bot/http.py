"""HTTP mode: one WSGI application, served by waitress.

``POST /slack/events`` takes slash commands and interactivity (Bolt's WSGI adapter, which
verifies Slack's signature on the raw body and answers 401 when it is forged or stale);
``GET /healthz`` answers 200 with JSON when the database is reachable and 503 otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def make_wsgi_app(app: App, healthy: Callable[[], bool]) -> WSGIApplication:
    """The WSGI callable: Slack's path goes to Bolt, ``/healthz`` asks ``healthy()``."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            ok = _probe(healthy)
            body = json.dumps({"status": "ok" if ok else "unavailable", "database": ok}).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(
                status,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


def _probe(healthy: Callable[[], bool]) -> bool:
    # The probe is the one place a database error may surface in HTTP: it means "not
    # ready", which is exactly what 503 says, so it is answered rather than raised.
    try:
        return bool(healthy())
    except Exception:
        log.warning("health probe failed", exc_info=True)
        return False


class HttpServer:
    """waitress serving one WSGI app in a thread, with a clean stop.

    ``threads`` is waitress's worker pool: each request holds one only until Bolt has
    acked (listeners continue in Bolt's own executor), so a small pool keeps up.
    """

    def __init__(
        self, wsgi: WSGIApplication, host: str = "127.0.0.1", port: int = 0, threads: int = 8
    ) -> None:
        # The stubs do not declare effective_port/_map/task_dispatcher, which we need.
        self._server: Any = cast(
            Any,
            create_server(
                wsgi,
                host=host,
                port=port,
                threads=threads,
                ident="offboard",
                clear_untrusted_proxy_headers=True,
            ),
        )
        self.host = host
        self.port: int = int(self._server.effective_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop`."""
        self._server.run()

    def start(self) -> str:
        """Serve in a daemon thread; returns the base URL."""
        self._thread = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        self._thread.start()
        return self.url

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close open connections, let running requests finish."""
        server = self._server
        # waitress has no public stop(); closing every dispatcher in its socket map ends
        # its loop (the pattern of webtest's StopableWSGIServer).
        while server._map:
            for dispatcher in list(server._map.values()):
                dispatcher.close()
        server.task_dispatcher.shutdown(timeout=timeout)
        if self._thread is not None:
            self._thread.join(timeout)
