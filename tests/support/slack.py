"""The Slack boundary for tests: a Web API stand-in, Slack-signed requests, the real bot.

``slack_standin``  a running :class:`bot.devstack.standin.SlackStandIn` (loopback, port 0)
``bot_server``     the real app over HTTP (waitress, port 0) with its worker and announcer
                   threads, on a migrated temporary SQLite, against the sandbox cloud and
                   the stand-in, with the injected ``clock``; wrapped in :class:`Slack`,
                   which plays people by sending Slack-signed requests. Step-up is on (the
                   product's default): approvers are enrolled with the devstack's public
                   demo secrets, and an Approve click is answered with their code
``slack_only_server``  the same with ``OFFBOARD_STEP_UP=off``, for tests about something
                   else than step-up that click Approve many times at once

Tests assert on what the stand-in and the sandbox received, and read the database only
to wait for the bot to settle.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.devstack.approving import click_approve, submit_code
from bot.devstack.local_stack import APPROVAL_CHANNEL, LocalStack, local_stack, workspace_people
from bot.devstack.payloads import Person
from bot.devstack.standin import Message, SlackStandIn
from bot.slack.home import HOME
from storage.records import RequestRecord
from tests.support.clock import FakeClock

_views = itertools.count(1)


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.02)


class Slack:
    """People in Slack, driving the bot only through signed HTTP requests."""

    def __init__(self, stack: LocalStack, clock: FakeClock) -> None:
        self.stack = stack
        self.clock = clock
        self.standin = stack.standin
        self.sandbox = stack.sandbox
        self.signer = stack.signer
        self.repo = stack.deps.repo

    # -- the modal --------------------------------------------------------------------

    def open_modal(self, person: Person, text: str = "") -> dict[str, Any]:
        """``/offboard {text}``; returns the view the bot opened (as Slack would hold it)."""
        before = len(self.standin.calls("views.open"))
        response = self.signer.slash_command(person, text)
        assert response.status_code == 200, response.text
        calls = self.standin.wait_for_calls("views.open", before + 1)
        return {**calls[before].params["view"], "id": f"V{next(_views):06d}", "hash": "h0"}

    def submit(
        self, person: Person, view: dict[str, Any], values: dict[str, str]
    ) -> httpx.Response:
        return self.signer.submit(person, view, values)

    def request(
        self, person: Person, text: str, values: dict[str, str] | None = None
    ) -> RequestRecord:
        """Ask for an operation through the modal; returns it once its card is posted."""
        known = {r.id for r in self.repo.list_requests(limit=1000)}
        view = self.open_modal(person, text)
        reason = {"reason": "the employee left; HR closed the account"}
        response = self.submit(person, view, {**reason, **(values or {})})
        assert response.status_code == 200 and response.text == "", response.text

        def posted() -> RequestRecord | None:
            fresh = [r for r in self.repo.list_requests(limit=1000) if r.id not in known]
            return fresh[0] if fresh and fresh[0].card_ts else None

        return wait_until(posted, what="the card to be posted")  # type: ignore[no-any-return]

    # -- the card -----------------------------------------------------------------------

    def card(self, request: RequestRecord) -> Message:
        ts = request.card_ts or self.get(request.id).card_ts
        found = [m for m in self.standin.messages(APPROVAL_CHANNEL) if m.ts == ts]
        assert found, f"no card {ts} in the stand-in"
        return found[0]

    def thread(self, request: RequestRecord) -> list[Message]:
        return self.standin.thread(APPROVAL_CHANNEL, self.card(request).ts)

    @property
    def step_up(self) -> bool:
        return self.stack.settings.step_up == "totp"

    def click(self, person: Person, action_id: str, request: RequestRecord) -> httpx.Response:
        """``person`` clicks a button on the card. With step-up on, Approve opens the modal,
        and they type the code their authenticator shows (as a person would)."""
        if action_id == "approve" and self.step_up:
            view = self.open_step_up(person, request)
            if view is None:  # told why not, in an ephemeral message
                return httpx.Response(200)
            response = self.submit_code(person, view, self.stack.authenticator.code(person.user_id))
            assert response.text == "", response.text  # closed: the approval was recorded
            return response
        card = self.card(request)
        response = self.signer.click(
            person, action_id, request.id, channel=APPROVAL_CHANNEL, message_ts=card.ts
        )
        assert response.status_code == 200, response.text
        return response

    def open_step_up(self, person: Person, request: RequestRecord) -> dict[str, Any] | None:
        """Click Approve; the step-up modal the bot opened, or None if it refused at once."""
        return click_approve(self.stack, person, request.id, self.card(request).ts)

    def submit_code(self, person: Person, view: dict[str, Any], code: str | None) -> httpx.Response:
        """Type ``code`` into the step-up modal and submit it."""
        response = submit_code(self.stack, person, view, code)
        assert response.status_code == 200, response.text
        return response

    # -- waiting ------------------------------------------------------------------------

    def get(self, request_id: str) -> RequestRecord:
        record = self.repo.get_request(request_id)
        assert record is not None
        return record

    def wait_status(self, request: RequestRecord, *statuses: str, timeout: float = 15) -> str:
        def reached() -> str | None:
            status = self.get(request.id).status
            return status if status in statuses else None

        return wait_until(reached, timeout, f"{request.id} to reach {statuses}")  # type: ignore[no-any-return]

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every announcement is delivered (the outbox is empty), but for Home
        tab refreshes that still gather changes (due after ``clock``: advance it)."""
        self.stack.deps.announcer_bell.ring()

        def settled() -> bool:
            now = self.clock()
            return not [
                a
                for a in self.repo.undelivered_announcements()
                if a.kind != HOME or a.available_at is None or a.available_at <= now
            ]

        wait_until(settled, timeout, "the outbox")

    def ephemerals(self, person: Person) -> list[str]:
        return [
            str(c.params.get("text"))
            for c in self.standin.calls("chat.postEphemeral")
            if c.params.get("user") == person.user_id
        ]


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(people=workspace_people())
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def bot_server(tmp_path: Path, clock: FakeClock) -> Iterator[Slack]:
    with local_stack(tmp_path, clock=clock, worker_poll=0.2) as stack:
        yield Slack(stack, clock)


@pytest.fixture
def slack_only_server(tmp_path: Path, clock: FakeClock) -> Iterator[Slack]:
    with local_stack(tmp_path, clock=clock, worker_poll=0.2, step_up="off") as stack:
        yield Slack(stack, clock)
