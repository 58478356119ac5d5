"""Oversized and unstamped requests are refused before their bodies are read.

The attack: an unsigned POST of 128 MiB used to be read whole (waitress allowed 1 GiB,
then the app read it into memory) before its signature was checked. Now waitress and the
app both stop at 1 MiB and answer 413 from the headers alone; a request without a usable
timestamp is 401, also before reading. Each test goes over a real socket to the real
server, or calls the real WSGI app with a body stream that records what was read.
"""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from bot.devstack.local_stack import REQUESTER
from bot.slack.bounds import MAX_BODY_BYTES
from bot.slack.http import make_wsgi_app
from tests.bot.slack.test_security import snapshot
from tests.support.slack import Slack

BIG = 128 * 1024 * 1024


def rss_bytes() -> int:
    """This process's resident memory (the server runs in it), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def connect(slack: Slack) -> socket.socket:
    url = urlsplit(slack.stack.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=5)
    return sock


def head(length: str | None = None, extra: str = "") -> bytes:
    lines = ["POST /slack/events HTTP/1.1", "Host: 127.0.0.1"]
    lines.append("Content-Type: application/x-www-form-urlencoded")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def status_of(sock: socket.socket) -> int:
    answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 "), answer
    return int(answer.split()[1])


def send_until_refused(sock: socket.socket, total: int) -> int:
    """Stream up to ``total`` body bytes; how many went before the server hung up."""
    chunk = b"a" * (1024 * 1024)
    sent = 0
    try:
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:  # reset or broken pipe: the server stopped listening, as it should
        pass
    return sent


def test_an_unsigned_128_mib_post_is_refused_before_its_body_is_sent(bot_server: Slack) -> None:
    before = snapshot(bot_server)
    memory = rss_bytes()
    with connect(bot_server) as sock:
        sock.sendall(head(str(BIG)))
        # Only the headers are out: the answer must not wait for a body.
        assert status_of(sock) == 413
        send_until_refused(sock, BIG)
    assert rss_bytes() - memory < 32 * 1024 * 1024
    assert snapshot(bot_server) == before


def test_a_chunked_body_is_refused_once_past_a_mib(bot_server: Slack) -> None:
    before = snapshot(bot_server)
    with connect(bot_server) as sock:
        sock.sendall(head(extra="Transfer-Encoding: chunked\r\n"))
        piece = b"a" * 65536
        frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        try:
            for _ in range(40):  # 2.5 MiB if nobody stops it
                sock.sendall(frame)
        except OSError:
            pass
        assert status_of(sock) == 413
    assert snapshot(bot_server) == before


def test_exactly_one_mib_is_judged_by_its_signature_and_one_more_byte_is_413(
    bot_server: Slack,
) -> None:
    slack = bot_server
    form = urlencode({"command": "/offboard", "text": "help", "user_id": REQUESTER.user_id})
    body = form + "&pad=" + "a" * (MAX_BODY_BYTES - len(form) - len("&pad="))
    assert len(body) == MAX_BODY_BYTES
    assert slack.signer.post(body).status_code != 413
    assert slack.signer.post(body + "a").status_code == 413


class Recording(io.RawIOBase):
    """A request body that counts what is read from it; ``endless`` never runs out."""

    def __init__(self, data: bytes = b"", *, endless: bool = False) -> None:
        self.data, self.endless, self.taken = data, endless, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.endless:
            size = 65536 if size < 0 else size
            self.taken += size
            return b"a" * size
        out = self.data[self.taken :] if size < 0 else self.data[self.taken : self.taken + size]
        self.taken += len(out)
        return out


def call(slack: Slack, environ: dict[str, Any]) -> tuple[int, bytes]:
    secret = slack.stack.settings.slack_signing_secret
    assert secret is not None
    wsgi = make_wsgi_app(slack.stack.runtime.app, lambda: True, secret.get_secret_value())
    answer: list[str] = []
    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "wsgi.input": io.BytesIO()}
    body = b"".join(wsgi({**base, **environ}, lambda status, _headers: answer.append(status)))
    return int(answer[0].split()[0]), body


def fresh_timestamp() -> str:
    return str(int(time.time()))


def test_a_body_without_length_is_read_at_most_a_mib_plus_one(bot_server: Slack) -> None:
    stream = Recording(endless=True)
    status, _ = call(
        bot_server, {"wsgi.input": stream, "HTTP_X_SLACK_REQUEST_TIMESTAMP": fresh_timestamp()}
    )
    assert status == 413
    assert stream.taken == MAX_BODY_BYTES + 1


def test_a_declared_length_over_a_mib_is_refused_without_a_read(bot_server: Slack) -> None:
    stream = Recording(endless=True)
    status, _ = call(
        bot_server,
        {
            "wsgi.input": stream,
            "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": fresh_timestamp(),
        },
    )
    assert (status, stream.taken) == (413, 0)


@pytest.mark.parametrize(
    "timestamp",
    [None, "", "abc", "1e9", "-5", " ", "17000000000000000000000", "stale", "future"],
)
def test_a_missing_or_unusable_timestamp_is_refused_before_reading(
    bot_server: Slack, timestamp: str | None
) -> None:
    now = int(time.time())
    value = {"stale": str(now - 301), "future": str(now + 301)}.get(str(timestamp), timestamp)
    stream = Recording(b"command=%2Foffboard&text=help")
    environ: dict[str, Any] = {"wsgi.input": stream, "CONTENT_LENGTH": "29"}
    if value is not None:
        environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = value
    assert call(bot_server, environ)[0] == 401
    assert stream.taken == 0


def test_a_timestamp_that_is_not_a_number_is_401_over_http(bot_server: Slack) -> None:
    slack = bot_server
    body = "command=%2Foffboard&text=help"
    headers = slack.signer.signed_headers(body)
    headers["X-Slack-Request-Timestamp"] = "soon"
    response = httpx.post(slack.stack.events_url, content=body, headers=headers)
    assert response.status_code == 401
