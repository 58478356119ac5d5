"""HTTP mode: one WSGI application, served by waitress.

``POST /slack/events`` takes slash commands and interactivity (Bolt's WSGI adapter, which
verifies Slack's signature on the raw body and answers 401 when it is forged or stale);
``GET /healthz`` answers 200 with JSON when the database is reachable and 503 otherwise.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def make_wsgi_app(app: App, healthy: Callable[[], bool], signing_secret: str) -> WSGIApplication:
    """The WSGI callable: Slack's path goes to Bolt, ``/healthz`` asks ``healthy()``.

    The signature is checked here, on the raw bytes, *before* anything parses them
    (Slack: "use the raw body before any JSON or form parsing"), so a forged or stale
    request is answered 401 whatever it contains; Bolt checks it again. A signed body
    that still cannot be read as a Slack payload is answered 400 and changes nothing.
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if path == HEALTH_PATH and method == "GET":
            ok = _probe(healthy)
            body = {"status": "ok" if ok else "unavailable", "database": ok}
            return _json(start_response, 200 if ok else 503, body)
        if path == EVENTS_PATH and method == "POST":
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            if not _signed(verifier, raw, environ):
                return _json(start_response, 401, {"error": "invalid request"})
            environ["wsgi.input"] = io.BytesIO(raw)
            try:
                return slack(environ, start_response)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                # Bolt's parser and matchers assume Slack's payload shapes; a signed body
                # of another shape is a client error, not ours.
                log.warning("malformed slack request: %s", type(error).__name__)
                return _json(start_response, 400, {"error": "malformed request"})
        return slack(environ, start_response)

    return wsgi


def _signed(verifier: SignatureVerifier, raw: bytes, environ: WSGIEnvironment) -> bool:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE")
    try:
        return verifier.is_valid(raw.decode("utf-8"), timestamp, signature)
    except (ValueError, UnicodeDecodeError):  # a timestamp that is not a number, say
        return False


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 503: "Service Unavailable"}


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        f"{status} {_REASONS[status]}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


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

        def close_everything() -> None:
            # Closing every dispatcher in waitress's socket map ends its loop. It must
            # happen *in* the loop's thread (closing a socket another thread is polling
            # fails there), so it is handed over through waitress's own trigger.
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        if self._thread is not None and self._thread.is_alive():
            server.trigger.pull_trigger(close_everything)
            self._thread.join(timeout)
        else:
            close_everything()
        server.task_dispatcher.shutdown(timeout=timeout)
