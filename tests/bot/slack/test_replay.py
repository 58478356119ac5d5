"""A replayed modal submission files one request, whichever replica it reaches.

The attack: the same signed view_submission (the same bytes, the same signature, inside
Slack's five-minute window) posted three times, concurrently, to two app instances that
share one database. Each post is answered like a successful ack; one request is filed,
one card posted, one ``request.submitted`` audited. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot.devstack.local_stack import APPROVAL_CHANNEL, REQUESTER, local_stack
from bot.devstack.payloads import view_submission
from storage.records import RequestRecord
from tests.support.clock import FakeClock
from tests.support.slack import Slack, wait_until

REASON = {"reason": "the employee left; HR closed the account"}


@pytest.fixture
def replicas(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[list[Slack]]:
    """Two instances of the bot (HTTP, worker, announcer) on one database and secret."""
    secret = secrets.token_hex(16)
    with ExitStack() as stack:
        running = []
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            started = local_stack(
                workdir,
                clock=clock,
                worker_poll=0.2,
                database_url=db_url,
                slack_signing_secret=secret,
            )
            running.append(Slack(stack.enter_context(started), clock))
        yield running


def drain(replica: Slack) -> None:
    """Wait for every lazy listener (the work after each ack) to finish."""
    replica.stack.runtime.app.listener_runner.listener_executor.shutdown(wait=True)


def filed(replica: Slack) -> RequestRecord | None:
    requests = [r for r in replica.repo.list_requests(limit=100) if r.card_ts]
    return requests[0] if requests else None


def test_a_submission_replayed_to_two_replicas_files_one_request(replicas: list[Slack]) -> None:
    a, b = replicas
    view = a.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    body = urlencode({"payload": json.dumps(view_submission(REQUESTER, view, REASON))})
    headers = a.signer.signed_headers(body)  # one signature, sent three times
    targets = [a.stack.events_url, b.stack.events_url, a.stack.events_url]
    with ThreadPoolExecutor(len(targets)) as pool:
        answers = list(
            pool.map(lambda url: httpx.post(url, content=body, headers=headers), targets)
        )
    # A replay is answered like the original: an empty 200 closes the modal.
    assert [(r.status_code, r.text) for r in answers] == [(200, "")] * 3

    request = wait_until(lambda: filed(a), what="the card to be posted")
    for replica in replicas:
        drain(replica)
    for replica in replicas:
        replica.settle()
    assert [r.id for r in a.repo.list_requests(limit=100)] == [request.id]
    trail = [e.kind for e in a.repo.audit_trail(request.id)]
    assert trail.count("request.submitted") == 1
    cards = [
        call
        for replica in replicas
        for call in replica.standin.calls("chat.postMessage")
        if call.params.get("channel") == APPROVAL_CHANNEL
    ]
    assert len(cards) == 1
    dms = [str(c.params.get("text")) for r in replicas for c in r.standin.calls("chat.postMessage")]
    assert not any("went wrong" in text for text in dms)


def test_a_replay_after_the_request_was_filed_changes_nothing(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    payload = view_submission(REQUESTER, view, REASON)
    assert slack.signer.post_payload(payload).text == ""
    request = wait_until(lambda: filed(slack), what="the card to be posted")
    slack.settle()
    events = slack.repo.audit_trail(request.id)
    calls = len(slack.standin.calls())

    # The same payload later, freshly signed (inside the window a capture is as good).
    replay = slack.signer.post_payload(payload)
    assert (replay.status_code, replay.text) == (200, "")
    drain(slack)
    slack.settle()
    assert [r.id for r in slack.repo.list_requests()] == [request.id]
    assert slack.repo.audit_trail(request.id) == events
    assert len(slack.standin.calls()) == calls


def test_a_submission_without_a_view_id_is_refused_at_the_picker(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    del view["id"]
    answer = slack.signer.post_payload(view_submission(REQUESTER, view, REASON)).json()
    assert answer == {
        "response_action": "errors",
        "errors": {"operation": "The form could not be read; open it again."},
    }
    drain(slack)
    assert slack.repo.list_requests() == []
