"""Two replicas of the bot on one PostgreSQL, and one approver's code sent to both at once.

The attack: a code seen once (over a shoulder, in a screen share) replayed through the
other replica the moment it is typed, on another request. However the load balancer
splits the two submissions, the code is spent once: the conditional UPDATE that advances
the approver's last time step runs in the transaction that records the decision, and only
one transaction can win it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from threading import Barrier
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bot.deps import build_deps
from bot.devstack.local_stack import APPROVERS, BRISK_FOLLOW, REQUESTER, LocalStack, local_stack
from bot.devstack.payloads import Person, SlackSigner
from bot.slack.runtime import Runtime
from commands.client import CloudClient
from commands.credentials import StaticCredentialsProvider
from commands.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from storage.db import make_engine
from storage.repository import Repository
from tests.support.clock import FakeClock
from tests.support.db import TABLES
from tests.support.slack import Slack

BOB = APPROVERS[0]
ROUNDS = 4


@contextmanager
def second_replica(stack: LocalStack, clock: FakeClock) -> Iterator[SlackSigner]:
    """Another bot process's worth: its own app, engine, worker and HTTP server."""
    cloud = CloudClient(
        StaticCredentialsProvider.of(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET),
        endpoint_override=stack.sandbox.base_url,
        timeout=5.0,
    )
    repo = Repository(make_engine(stack.settings.database_url))
    deps = build_deps(stack.settings, clock=clock, cloud=cloud, repo=repo)
    runtime = Runtime(deps, follow=BRISK_FOLLOW, worker_poll=0.2, announcer_idle=0.5)
    runtime.start_background()
    url = runtime.start_http()
    assert stack.settings.slack_signing_secret is not None
    signer = SlackSigner(
        stack.settings.slack_signing_secret.get_secret_value(),
        f"{url}/slack/events",
        response_url=stack.standin.response_url,
    )
    try:
        yield signer
    finally:
        signer.close()
        runtime.stop()
        repo.engine.dispose()


def empty(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_two_replicas_racing_on_one_code_accept_it_at_most_once(
    postgres_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    empty(postgres_url)
    with (
        local_stack(tmp_path, clock=clock, worker_poll=0.2, database_url=postgres_url) as stack,
        second_replica(stack, clock) as other,
    ):
        slack = Slack(stack, clock)
        for _ in range(ROUNDS):
            one, two = (slack.request(REQUESTER, f"DeleteAccount AccountId={a}") for a in IDS)
            views = [slack.open_step_up(BOB, one), slack.open_step_up(BOB, two)]
            assert views[0] is not None and views[1] is not None
            code = stack.authenticator.code(BOB.user_id)  # a fresh step each round
            answers = race([(stack.signer, views[0]), (other, views[1])], BOB, code)
            accepted = [a for a in answers if a.text == ""]
            assert len(accepted) == 1, [a.text for a in answers]
            refused = next(a for a in answers if a.text)
            assert "already used" in refused.json()["errors"]["totp_code"]
            decided = [r for r in (one, two) if slack.repo.decisions_for(r.id)]
            assert len(decided) == 1


IDS = ("1512996702208737", "1276001234567890")


def race(
    targets: list[tuple[SlackSigner, dict[str, Any]]], person: Person, code: str
) -> list[httpx.Response]:
    """Submit ``code`` through each (replica, modal) at the same moment."""
    start = Barrier(len(targets))

    def submit(target: tuple[SlackSigner, dict[str, Any]]) -> httpx.Response:
        signer, view = target
        start.wait()
        return signer.submit(person, view, {"totp_code": code})

    with ThreadPoolExecutor(len(targets)) as pool:
        return list(pool.map(submit, targets))
