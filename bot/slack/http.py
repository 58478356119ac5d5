"""HTTP mode: one WSGI application, served by waitress.

``POST /slack/events`` takes slash commands and interactivity (Bolt's WSGI adapter) once
the request has passed the gates of :func:`make_wsgi_app`: size, timestamp, signature and
JSON depth, each checked before anything is parsed. ``GET /healthz`` answers 200 with
JSON when the database is reachable and 503 otherwise. ``GET /metrics`` answers
Prometheus' text format (:mod:`bot.metrics`): counts and timings, nothing secret, and
nothing a scrape can change; restrict who reaches it at the load balancer (README,
Deployment).
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server

from bot.slack import bounds
from bot.slack.bounds import MAX_BODY_BYTES
from bot.slack.probes import HEALTH_PATH, METRICS_PATH, json_response, make_probe_app
from bot.slack.views.submission import OPERATION, field_errors_for_slack
from commands.errors import ParameterError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
REPLAY_WINDOW_SECONDS = 300  # Slack: "more than five minutes" off is refused


def make_wsgi_app(
    app: App,
    healthy: Callable[[], bool],
    signing_secret: str,
    *,
    clock: Callable[[], float] = time.time,
    metrics: WSGIApplication | None = None,
) -> WSGIApplication:
    """The WSGI callable: Slack's path goes to Bolt, ``/healthz`` asks ``healthy()``,
    ``GET /metrics`` goes to ``metrics`` (404 without it).

    A POST to Slack's path passes the gates of :func:`_gate` before Bolt sees it, each
    answered without side effects. A signed body that Bolt still cannot read as a Slack
    payload is 400. Bolt checks the signature again.
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    probes = make_probe_app(healthy, metrics)
    verifier = SignatureVerifier(signing_secret)

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if path in (HEALTH_PATH, METRICS_PATH) and method == "GET":
            return probes(environ, start_response)
        if path != EVENTS_PATH or method != "POST":
            return slack(environ, start_response)
        raw = _gate(environ, verifier, clock())
        if isinstance(raw, tuple):
            return json_response(start_response, *raw)
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        try:
            return slack(environ, start_response)
        except (ValueError, TypeError, LookupError, AttributeError, RecursionError) as error:
            # Bolt's parser, matchers and error path assume Slack's payload shapes (an
            # "actions" list with one item, say); a signed body of another shape is a
            # client error, not ours.
            log.warning("malformed slack request: %s", type(error).__name__)
            return json_response(start_response, 400, {"error": "malformed request"})

    return wsgi


def _gate(
    environ: WSGIEnvironment, verifier: SignatureVerifier, now: float
) -> bytes | tuple[int, dict[str, Any]]:
    """The raw body when it passes every gate, else the answer that refuses it.

    In order: a body over 1 MiB is 413 *before it is read* (by Content-Length; a body
    without one is read at most 1 MiB + 1 bytes); a timestamp header that is missing, not
    a number or more than five minutes off is 401, also before reading; a bad signature
    over the raw bytes is 401 (Slack: "use the raw body before any JSON or form
    parsing"); then :func:`shape_refusal` judges what the signed body holds.
    """
    refused = _before_reading(environ, now)
    if refused is not None:
        return refused
    raw = _read_body(environ)
    if raw is None:
        return 413, {"error": "request body too large"}
    if not _signed(verifier, raw, environ):
        return 401, {"error": "invalid request"}
    return shape_refusal(raw, str(environ.get("CONTENT_TYPE") or "")) or raw


def _before_reading(environ: WSGIEnvironment, now: float) -> tuple[int, dict[str, Any]] | None:
    """413 or 401 from the headers alone, so a refused body is never read."""
    length = str(environ.get("CONTENT_LENGTH") or "").strip()
    if length and not length.isdigit():
        return 400, {"error": "malformed request"}
    if length and int(length) > MAX_BODY_BYTES:
        return 413, {"error": "request body too large"}
    # Slack: "reject a request whose timestamp differs from local time by more than five
    # minutes", in either direction; without a usable timestamp nothing can be verified.
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "").strip()
    if not timestamp.isdigit() or abs(now - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return 401, {"error": "invalid request"}
    return None


def _read_body(environ: WSGIEnvironment) -> bytes | None:
    """The body, or None when it is longer than the limit (read no further than that)."""
    stream = environ["wsgi.input"]
    length = str(environ.get("CONTENT_LENGTH") or "").strip()
    if length:
        raw = bytes(stream.read(int(length)))
        return raw if len(raw) <= MAX_BODY_BYTES else None
    # No Content-Length (chunked): read up to one byte past the limit, then stop.
    parts: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        part = bytes(stream.read(min(_CHUNK, MAX_BODY_BYTES + 1 - size)))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts) if size <= MAX_BODY_BYTES else None


def _signed(verifier: SignatureVerifier, raw: bytes, environ: WSGIEnvironment) -> bool:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE")
    try:
        return verifier.is_valid(raw.decode("utf-8"), timestamp, signature)
    except (ValueError, UnicodeDecodeError):  # a timestamp that is not a number, say
        return False


def shape_refusal(raw: bytes, content_type: str) -> tuple[int, dict[str, Any]] | None:
    """The answer to a signed body whose JSON nests too deep, is not JSON or is not shaped
    like a Slack payload (:func:`~bot.slack.bounds.shape_problem`), else None.

    A modal submission gets Slack's ``response_action: errors`` (so the person sees why
    in the form); anything else gets 400. Nothing is parsed recursively.
    """
    text = raw.decode("utf-8")
    if content_type.startswith("application/json"):
        document = text
    else:
        form = parse_qs(text)
        document = form.get("payload", [""])[-1]
        problem = bounds.command_problem(form) if "command" in form else None
        if problem is not None:
            log.warning("malformed slack request: %s", problem)
            return 400, {"error": "malformed request"}
        if not document:
            return None  # a slash command: form fields only, no JSON
    try:
        payload = bounds.loads(document)
    except bounds.TooDeep as deep:
        return _too_deep(document, deep)
    except ValueError:
        return 400, {"error": "malformed request"}
    problem = bounds.shape_problem(payload)
    if problem is not None:
        log.warning("malformed slack request: %s", problem)
        return 400, {"error": "malformed request"}
    return None


def _too_deep(document: str, deep: bounds.TooDeep) -> tuple[int, dict[str, Any]]:
    try:
        shallow = json.loads(bounds.prune(document, deep.limit))
    except ValueError:
        shallow = None
    if isinstance(shallow, dict) and shallow.get("type") == "view_submission":
        view = shallow.get("view")
        view = view if isinstance(view, dict) else {}
        words = (
            f"This form arrived with data nested deeper than {deep.limit} levels, which "
            "Offboard does not read. Nothing was filed; open the form again."
        )
        errors = field_errors_for_slack(ParameterError({OPERATION: words}), view)
        return 200, {"response_action": "errors", "errors": errors}
    return 400, {"error": f"JSON nested deeper than {deep.limit} levels"}


_CHUNK = 64 * 1024


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
                # waitress buffers a whole body before the app runs, and by default
                # accepts 1 GiB. It refuses at ``length >= max_request_body_size``, judged
                # on Content-Length as soon as the headers are in (chunked bodies as they
                # arrive), so + 1 makes its limit the app's: over 1 MiB is 413.
                max_request_body_size=MAX_BODY_BYTES + 1,
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
