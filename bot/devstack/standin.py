"""A local stand-in for the Slack Web API, for tests and `offboard-bot demo`.

It listens on loopback (port 0 by default), answers the methods Offboard calls the way
Slack does (``{"ok": true, ...}`` with a ``ts`` for posted messages), records every call
as ``(method, params)``, keeps the messages it was asked to post and edit (so a transcript
can be printed from it), and can be told to fail a method (HTTP 429 with ``Retry-After``,
HTTP 500, or an ``ok: false`` error) to exercise retries. It also accepts posts to
``response_url`` addresses (``/_response/<key>``), recorded as method ``response_url``.

Point a ``WebClient(base_url=standin.api_url)`` (or ``SLACK_API_URL``) at it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.devstack.standin_methods import (
    USER_KINDS,
    Channel,
    Member,
    Message,
    Workspace,
    answer,
    response_headers,
)

__all__ = [
    "STANDIN_BOT_TOKEN",
    "STANDIN_BOT_USER_ID",
    "STANDIN_TEAM_ID",
    "Message",
    "SlackCall",
    "SlackStandIn",
]

STANDIN_TEAM_ID = "T0OFFBOARD"
STANDIN_BOT_USER_ID = "U0OFFBOT"
STANDIN_BOT_TOKEN = "xoxb-offboard-standin-not-a-real-token"  # noqa: S105 - a placeholder


@dataclass(frozen=True)
class SlackCall:
    """One call the stand-in received: the Web API method and its parameters."""

    method: str
    params: dict[str, Any]
    at: float


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    times: int


@dataclass
class _State:
    calls: list[SlackCall] = field(default_factory=list)
    failures: dict[str, _Failure] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds


class SlackStandIn:
    """The stand-in server. ``start()`` it, use ``api_url``, ``stop()`` it."""

    def __init__(
        self,
        *,
        token: str = STANDIN_BOT_TOKEN,
        team_id: str = STANDIN_TEAM_ID,
        usergroups: Mapping[str, list[str]] | None = None,
        channels: Mapping[str, Channel] | None = None,
        people: Mapping[str, Member] | None = None,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self._state = _State()
        self._workspace = Workspace(team_id, STANDIN_BOT_USER_ID)
        self._workspace.usergroups = {k: list(v) for k, v in (usergroups or {}).items()}
        self._workspace.channels = dict(channels or {})
        self._workspace.people = {STANDIN_BOT_USER_ID: Member("offboard", is_bot=True)}
        self._workspace.people.update(people or {})
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- life cycle -------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL (``http://127.0.0.1:PORT``)."""
        standin = self

        class Handler(_Handler):
            owner = standin

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="slack-standin", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def api_url(self) -> str:
        """The ``SLACK_API_URL`` to use (with the trailing slash slack_sdk expects)."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str) -> str:
        """A ``response_url`` for a payload; posts to it are recorded as ``response_url``."""
        return f"{self.base_url}/_response/{key}"

    # -- test controls ----------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        error: str = "internal_error",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (429 + Retry-After, 500, ...)."""
        with self._cond:
            self._state.failures[method] = _Failure(status, error, retry_after, times)

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` ``seconds`` late (a slow Slack)."""
        with self._cond:
            self._state.delays[method] = seconds

    def _delay_of(self, method: str) -> float:
        with self._cond:
            return self._state.delays.get(method, 0.0)

    def reset_failures(self) -> None:
        """Slack is healthy again: forget every failure still to be served."""
        with self._cond:
            self._state.failures.clear()

    def set_usergroup(self, usergroup: str, users: list[str]) -> None:
        with self._cond:
            self._workspace.usergroups[usergroup] = list(users)

    def set_user(self, user: str, kind: str) -> None:
        """Make ``users.info`` describe ``user`` as ``kind`` (a ``USER_KINDS`` key);
        ``"absent"`` makes Slack answer ``user_not_found`` for them."""
        if kind not in USER_KINDS:
            raise ValueError(f"unknown user kind {kind!r}; one of {sorted(USER_KINDS)}")
        with self._cond:
            if kind == "absent":
                self._workspace.people.pop(user, None)
            else:
                self._workspace.people[user] = Member.of_kind(user.lower(), kind)

    def set_scopes(self, scopes: list[str]) -> None:
        """The scopes the token has been granted (sent as ``x-oauth-scopes``)."""
        with self._cond:
            self._workspace.scopes = tuple(scopes)

    def set_channel(self, channel_id: str, channel: Channel) -> None:
        """What ``conversations.info`` says of ``channel_id`` from now on."""
        with self._cond:
            self._workspace.channels[channel_id] = channel

    def set_member(self, user_id: str, member: Member) -> None:
        """What ``users.info`` says of ``user_id`` from now on."""
        with self._cond:
            self._workspace.people[user_id] = member

    def reset(self) -> None:
        """Forget calls, messages and failures."""
        with self._cond:
            self._state.calls.clear()
            self._workspace.messages.clear()
            self._state.failures.clear()

    # -- what was received ------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[SlackCall]:
        """Calls received so far (of one method when given), oldest first."""
        with self._cond:
            return [c for c in self._state.calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        """Messages as they stand now (edits applied), in posting order."""
        with self._cond:
            found = [m for m in self._workspace.messages.values() if channel in (None, m.channel)]
        return sorted(found, key=lambda m: float(m.ts))

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Replies whose ``thread_ts`` is ``ts``, in order."""
        return [m for m in self.messages(channel) if m.thread_ts == ts]

    def wait_for(self, predicate: Callable[[SlackStandIn], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(self)`` holds (re-checked after each call) or time runs out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if predicate(self):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[SlackCall]:
        """Wait until at least ``count`` calls of ``method`` arrived; raise on timeout."""
        if not self.wait_for(lambda s: len(s.calls(method)) >= count, timeout):
            got = [c.method for c in self.calls()]
            raise TimeoutError(f"expected {count} x {method} within {timeout}s; got {got}")
        return self.calls(method)

    # -- answering (called by the handler) --------------------------------------------

    def _record(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._cond:
            self._state.calls.append(SlackCall(method, params, time.time()))
            try:
                failure = self._state.failures.get(method)
                if failure is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        del self._state.failures[method]
                    headers = {}
                    if failure.retry_after is not None:
                        headers["Retry-After"] = str(failure.retry_after)
                    return failure.status, headers, {"ok": False, "error": failure.error}
                return 200, response_headers(self._workspace), self._answer(method, params)
            finally:
                self._cond.notify_all()

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "response_url":
            return {"ok": True}
        return answer(self._workspace, method, params)


class _Handler(BaseHTTPRequestHandler):
    owner: SlackStandIn
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes on a kept-alive connection; with Nagle on,
    # the body waits for the client's delayed ACK (~40 ms a call).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and the demo print what they need from the records

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        params: dict[str, Any] = dict(parse_qsl(url.query))
        content_type = self.headers.get("Content-Type") or ""
        try:
            if "json" in content_type and raw:
                params.update(json.loads(raw))
            elif raw:
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except (ValueError, UnicodeDecodeError):
            self._send(400, {}, {"ok": False, "error": "invalid_form_data"})
            return
        if url.path.startswith("/_response/"):
            params["_key"] = url.path.rsplit("/", 1)[-1]
            self._send(*self.owner._record("response_url", params))
            return
        if not url.path.startswith("/api/"):
            self._send(404, {}, {"ok": False, "error": "not_found"})
            return
        method = url.path[len("/api/") :]
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        token = token or str(params.pop("token", ""))
        if token != self.owner.token:
            self._send(200, {}, {"ok": False, "error": "invalid_auth"})
            return
        answer = self.owner._record(method, params)
        time.sleep(self.owner._delay_of(method))
        self._send(*answer)

    def _send(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
