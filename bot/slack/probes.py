"""The answers that are not Slack's: ``GET /healthz`` and ``GET /metrics``.

Served by the HTTP app next to ``/slack/events``, and alone on ``OFFBOARD_METRICS_PORT``
in Socket Mode (where Slack's requests come over the WebSocket instead).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def make_probe_app(
    healthy: Callable[[], bool], metrics: WSGIApplication | None = None
) -> WSGIApplication:
    """``GET /healthz`` and ``GET /metrics`` alone (Socket Mode's ``OFFBOARD_METRICS_PORT``);
    anything else is 404."""

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if path == HEALTH_PATH and method == "GET":
            ok = _probe(healthy)
            body = {"status": "ok" if ok else "unavailable", "database": ok}
            return json_response(start_response, 200 if ok else 503, body)
        if path == METRICS_PATH and method == "GET" and metrics is not None:
            return metrics(environ, start_response)
        return json_response(start_response, 404, {"error": "not found"})

    return wsgi


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Content Too Large",
    503: "Service Unavailable",
}


def json_response(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
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
