"""A job: one lazy listener call, as the ack process hands it to the work process.

Bolt names each lazy function (``get_name_for_callable``: its ``__name__``) and can run
one of them alone for a request that says so in two headers, ``x-slack-bolt-lazy-only``
and ``x-slack-bolt-lazy-function-name`` (``slack_bolt/listener/thread_runner.py``; its AWS
Lambda adapter ships requests to another invocation the same way). A :class:`Job` is
what that needs: the request as Slack sent it (raw body and headers in HTTP mode, the
payload in Socket Mode) and the function's name. The work process builds the same app
and dispatches :meth:`Job.lazy_request`, which runs that function and no ack.

Over the socket between the two processes a job travels as JSON (:func:`encode`,
:func:`decode`), not pickle: the wire carries data, never code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.request import BoltRequest

LAZY_ONLY = "x-slack-bolt-lazy-only"
LAZY_FUNCTION = "x-slack-bolt-lazy-function-name"


@dataclass(frozen=True)
class Job:
    """One lazy function to run for one Slack request.

    ``interrupted`` marks a job that a work process started and did not finish: it is
    not run again (it may have half-happened), the person is told instead.
    """

    function: str
    body: str | dict[str, Any]
    headers: dict[str, list[str]]
    mode: str
    interrupted: bool = False

    @classmethod
    def of(cls, request: BoltRequest, function: str) -> Job:
        """The job for ``function`` of the listener ``request`` matched."""
        body: str | dict[str, Any] = request.raw_body if request.mode == "http" else request.body
        headers = {name: list(values) for name, values in request.headers.items()}
        return cls(function=function, body=body, headers=headers, mode=request.mode)

    def lazy_request(self) -> BoltRequest:
        """The request that makes Bolt run only :attr:`function` (no ack, no other lazy)."""
        headers: dict[str, str | Sequence[str]] = {
            **self.headers,
            LAZY_ONLY: "1",
            LAZY_FUNCTION: self.function,
        }
        return BoltRequest(body=self.body, headers=headers, mode=self.mode)

    def payload(self) -> dict[str, Any]:
        """The Slack payload (parsed as Bolt parses it), to tell the person behind it."""
        return BoltRequest(body=self.body, headers=dict(self.headers), mode=self.mode).body

    def stopped(self) -> Job:
        """This job, marked as interrupted."""
        return Job(self.function, self.body, self.headers, self.mode, interrupted=True)


def encode(message: dict[str, Any]) -> bytes:
    """One message on the wire: a job as ``{"id", "job"}``, or a control word."""
    job = message.get("job")
    if isinstance(job, Job):
        message = {**message, "job": vars(job)}
    return json.dumps(message, separators=(",", ":")).encode()


def decode(data: bytes) -> dict[str, Any]:
    """The message :func:`encode` made, with its job (if any) as a :class:`Job`."""
    message: dict[str, Any] = json.loads(data)
    if isinstance(message.get("job"), dict):
        message["job"] = Job(**message["job"])
    return message
