"""The gate has no back door, tried as an attacker would, through the real HTTP endpoint.

Every write waits for an approval by someone other than the requester; only requesters
(full members of the team, never guests or bots) file requests; only requesters and
approvers list or look them up. Each test sends Slack-signed requests and counts what the
sandbox cloud and the Slack stand-in received.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.devstack.local_stack import APPROVERS, OUTSIDER, REQUESTER, local_stack
from bot.devstack.payloads import Person
from storage.audit import iter_events
from tests.bot.slack.test_flow import card_text
from tests.support.clock import FakeClock
from tests.support.slack import Slack, wait_until

BOB, CAROL = APPROVERS
ADD = (
    "ModifyAccountRelation RelationOperation=ADD RelationType=enterprise_group "
    "ParentUserId=1738376485192612 ChildUserId=1276001234567890 "
    "PermissionCodes=FORBID_WITHDRAW_CASH"
)
DELETE_ACCOUNT = "DeleteAccount AccountId=1512996702208737"
REASON = {"reason": "finance asked to stop cash withdrawal for this member"}


@pytest.fixture
def gated(tmp_path: Path, clock: FakeClock) -> Iterator[Slack]:
    """The bot with OFFBOARD_REQUESTERS = alice and OFFBOARD_REQUESTER_USERGROUP = S0REQ."""
    with local_stack(
        tmp_path,
        clock=clock,
        worker_poll=0.2,
        usergroups={"S0REQ": []},
        requesters=frozenset([REQUESTER.user_id]),
        requester_usergroup="S0REQ",
    ) as stack:
        yield Slack(stack, clock)


def responses(slack: Slack, count: int) -> list[str]:
    """The texts of the first ``count`` replies posted to response_url."""
    return [str(c.params.get("text")) for c in slack.standin.wait_for_calls("response_url", count)]


def refusals(slack: Slack, person: Person) -> list[str]:
    """What ``person`` was told privately: ephemerals, or DMs after a modal closed."""
    direct = "D" + person.user_id.lstrip("UW")
    dms = [
        str(c.params.get("text"))
        for c in slack.standin.calls("chat.postMessage")
        if c.params.get("channel") == direct
    ]
    return slack.ephemerals(person) + dms


# -- every write waits for someone else -------------------------------------------------


@pytest.mark.parametrize(
    "asker", [OUTSIDER, REQUESTER], ids=["filed-by-a-non-approver", "filed-by-an-approver"]
)
def test_an_add_write_waits_and_runs_only_after_someone_else_approves(
    bot_server: Slack, asker: Person
) -> None:
    slack = bot_server
    request = slack.request(asker, ADD, REASON)
    slack.settle()
    time.sleep(0.5)  # the worker polls every 0.2 s: it would have sent it by now
    assert slack.get(request.id).status == "PENDING"
    assert slack.sandbox.count("ModifyAccountRelation") == 0
    assert "0 of 1" in card_text(slack.card(request))

    slack.click(asker, "approve", request)  # the requester approves their own write
    words = "You asked for this"
    wait_until(lambda: any(words in t for t in slack.ephemerals(asker)), what=words)
    slack.settle()
    assert slack.get(request.id).status == "PENDING"
    assert slack.sandbox.count("ModifyAccountRelation") == 0

    slack.click(BOB, "approve", request)
    assert slack.wait_status(request, "SUCCEEDED", "FAILED") == "SUCCEEDED"
    calls = [c for c in slack.sandbox.calls if c.action == "ModifyAccountRelation"]
    assert len(calls) == 1 and calls[0].signature_ok
    assert [d.user_id for d in slack.repo.decisions_for(request.id)] == [BOB.user_id]


def test_a_forged_submission_of_a_read_files_nothing(bot_server: Slack) -> None:
    """A view_submission naming GetAccount (no modal offers it) is refused at its field."""
    slack = bot_server
    view = slack.open_modal(REQUESTER, DELETE_ACCOUNT)
    for block in view["blocks"]:
        if block.get("block_id") == "operation":
            block["element"]["options"].append(
                {"text": {"type": "plain_text", "text": "GetAccount"}, "value": "GetAccount"}
            )
    response = slack.submit(REQUESTER, view, {"operation": "GetAccount", **REASON})
    body = response.json()
    assert body["response_action"] == "errors"
    assert "offboard-bot call GetAccount" in body["errors"]["operation"]
    assert slack.repo.list_requests() == [] and slack.sandbox.calls == []


def test_a_read_typed_after_offboard_points_to_the_cli(bot_server: Slack) -> None:
    response = bot_server.signer.slash_command(REQUESTER, "GetAccount AccountId=1512996702208737")
    assert "offboard-bot call GetAccount" in str(response.json())
    assert bot_server.standin.calls("views.open") == []


# -- who may file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("multi_channel_guest", "Guest accounts cannot"),
        ("single_channel_guest", "Guest accounts cannot"),
        ("bot", "Bots cannot"),
        ("deactivated", "Deactivated accounts cannot"),
    ],
)
def test_a_guests_offboard_is_refused_and_opens_no_modal(
    bot_server: Slack, kind: str, words: str
) -> None:
    slack = bot_server
    slack.standin.set_user(OUTSIDER.user_id, kind)
    for text in ("", ADD):
        assert slack.signer.slash_command(OUTSIDER, text).status_code == 200
    assert all(words in text for text in responses(slack, 2))
    assert slack.standin.calls("views.open") == []
    assert slack.repo.list_requests() == []


def test_slack_unable_to_confirm_the_account_opens_no_modal(bot_server: Slack) -> None:
    """Fail closed: a users.info failure grants nothing, and is not remembered."""
    slack = bot_server
    slack.standin.fail("users.info", status=200, error="fatal_error")
    slack.signer.slash_command(OUTSIDER, ADD)
    assert "could not confirm your Slack account" in responses(slack, 1)[0]
    assert slack.standin.calls("views.open") == []
    slack.open_modal(OUTSIDER, ADD)  # asked again: Slack answers now


def test_a_submission_by_someone_not_in_requesters_files_nothing(gated: Slack) -> None:
    """Mallory is not in OFFBOARD_REQUESTERS: she cannot open the modal, and submitting a
    copy of one (the view alice opened) is refused after the ack, before anything runs."""
    slack = gated
    slack.signer.slash_command(OUTSIDER, ADD)
    assert "not one of the people who may ask" in responses(slack, 1)[0]
    assert slack.standin.calls("views.open") == []

    view = slack.open_modal(REQUESTER, ADD)
    response = slack.submit(OUTSIDER, view, REASON)
    assert response.status_code == 200
    wait_until(lambda: refusals(slack, OUTSIDER), what="the refusal")
    assert "not one of the people who may ask" in refusals(slack, OUTSIDER)[0]
    slack.settle()
    assert slack.repo.list_requests() == []
    assert slack.sandbox.calls == []  # not even the pre-checks
    refused = [e for e in iter_events(slack.repo.engine) if e.kind == "request.refused"]
    assert [(e.actor, e.data["reason"]) for e in refused] == [
        (OUTSIDER.user_id, "not_allowed_to_file")
    ]


def test_a_modal_opened_before_leaving_the_requester_group_files_nothing(gated: Slack) -> None:
    slack = gated
    dave = Person("U0DAVE", "dave")
    slack.standin.set_user(dave.user_id, "member")
    slack.standin.set_usergroup("S0REQ", [dave.user_id])
    view = slack.open_modal(dave, ADD)
    slack.standin.set_usergroup("S0REQ", [])  # removed while the modal is open
    slack.clock.advance(600)  # past the group cache's five minutes
    assert slack.submit(dave, view, REASON).status_code == 200
    wait_until(lambda: refusals(slack, dave), what="the refusal")
    slack.settle()
    assert slack.repo.list_requests() == [] and slack.sandbox.calls == []


# -- who may read ---------------------------------------------------------------------


def test_list_and_status_refuse_an_outsider_and_reveal_nothing(gated: Slack) -> None:
    slack = gated
    request = slack.request(REQUESTER, ADD, REASON)
    texts = ("list", f"status {request.id}", "status OB-NOPE0000", f"cancel {request.id}")
    for text in texts:
        slack.signer.slash_command(OUTSIDER, text)
    answers = responses(slack, len(texts))
    assert len(set(answers)) == 1, answers  # an id that exists looks like one that does not
    assert "Only Offboard's requesters and approvers" in answers[0]
    assert request.id not in answers[0]
    assert slack.get(request.id).status == "PENDING"
    # The requester and an approver who is not a requester still read.
    for person in (REQUESTER, BOB):
        slack.signer.slash_command(person, f"status {request.id}")
    seen = slack.standin.wait_for_calls("response_url", len(texts) + 2)[len(texts) :]
    assert all("Waiting for approval" in str(c.params["blocks"]) for c in seen)


def test_a_guest_cannot_list(bot_server: Slack) -> None:
    slack = bot_server
    slack.request(REQUESTER, DELETE_ACCOUNT)
    slack.standin.set_user(OUTSIDER.user_id, "multi_channel_guest")
    slack.signer.slash_command(OUTSIDER, "list")
    assert "Only Offboard's requesters and approvers" in responses(slack, 1)[0]


# -- the ack stays fast ---------------------------------------------------------------

PROMPT = 1.0  # seconds; far below Slack's 3 s


def test_a_slow_users_info_never_delays_an_ack(bot_server: Slack) -> None:
    slack = bot_server
    slack.standin.delay("users.info", 2.0)
    started = time.monotonic()
    assert slack.signer.slash_command(OUTSIDER, DELETE_ACCOUNT).status_code == 200
    assert time.monotonic() - started < PROMPT
    view = {**slack.standin.wait_for_calls("views.open")[0].params["view"], "id": "V1"}
    slack.clock.advance(600)  # the cached account is stale: the submission asks again
    started = time.monotonic()
    response = slack.submit(OUTSIDER, view, {"reason": "the employee left; HR closed it"})
    assert response.status_code == 200 and response.text == ""
    assert time.monotonic() - started < PROMPT
    wait_until(lambda: slack.repo.list_requests(), 15, "the request")
    assert len(slack.standin.calls("users.info")) == 2


# -- the start-up check ---------------------------------------------------------------


def test_serve_refuses_a_write_policy_that_can_never_be_met(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-unused",
        "SLACK_SIGNING_SECRET": "a-signing-secret-for-this-test",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "OFFBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'refuse.db'}",
        "OFFBOARD_APPROVAL_CHANNEL": "C0APPROVALS",
        "OFFBOARD_APPROVERS": "U0ALICE,U0BOB,U0CAROL",  # 2 besides any requester
        "OFFBOARD_REQUIRED_APPROVALS": "2",
        "OFFBOARD_REQUIRED_WRITE_APPROVALS": "3",
    }
    for name in ("SLACK_APP_TOKEN", "OFFBOARD_APPROVER_USERGROUP"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "refusing to start" in done.stderr
    assert "OFFBOARD_REQUIRED_WRITE_APPROVALS" in done.stderr


def test_serve_refuses_write_approvals_of_zero(tmp_path: Path) -> None:
    env = {**os.environ, "OFFBOARD_REQUIRED_WRITE_APPROVALS": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "OFFBOARD_REQUIRED_WRITE_APPROVALS" in done.stderr and "at least 1" in done.stderr
    assert "Traceback" not in done.stderr
