"""Who may decide, and when: every refusal is ephemeral and changes nothing.

Each test acts through signed HTTP requests and checks what Slack (the stand-in) and
the cloud (the sandbox) received; the database is read only to wait for settling.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.devstack.local_stack import APPROVERS, FOREIGNER, OUTSIDER, REQUESTER, local_stack
from bot.devstack.payloads import Person
from storage.records import RequestRecord
from tests.bot.slack.test_flow import buttons, card_text
from tests.support.clock import FakeClock
from tests.support.slack import Slack, wait_until

BOB, CAROL = APPROVERS
TEXT = "DeleteAccount AccountId=1512996702208737"


def visible(slack: Slack) -> list[tuple[str, str]]:
    """What everyone can see in Slack: posts and edits (ephemerals excluded)."""
    return [
        (c.method, str(c.params.get("ts") or c.params.get("thread_ts") or ""))
        for c in slack.standin.calls()
        if c.method in {"chat.postMessage", "chat.update"}
    ]


def refused_without_change(
    slack: Slack, person: Person, request: RequestRecord, action: str, words: str
) -> None:
    slack.settle()
    before_seen, before_decisions = visible(slack), slack.repo.decisions_for(request.id)
    before_status = slack.get(request.id).status
    slack.click(person, action, request)
    wait_until(lambda: any(words in t for t in slack.ephemerals(person)), what=words)
    slack.settle()
    assert visible(slack) == before_seen
    assert slack.repo.decisions_for(request.id) == before_decisions
    assert slack.get(request.id).status == before_status
    assert slack.sandbox.count("DeleteAccount") == 0


@pytest.fixture
def pending(bot_server: Slack) -> RequestRecord:
    return bot_server.request(REQUESTER, TEXT)


def test_self_approval_is_refused(bot_server: Slack, pending: RequestRecord) -> None:
    refused_without_change(bot_server, REQUESTER, pending, "approve", "You asked for this")


def test_non_approver_is_refused(bot_server: Slack, pending: RequestRecord) -> None:
    refused_without_change(bot_server, OUTSIDER, pending, "approve", "not an approver")


def test_someone_of_another_team_is_refused(bot_server: Slack, pending: RequestRecord) -> None:
    # Same user id as an approver, but a Slack Connect user of another organisation.
    refused_without_change(bot_server, FOREIGNER, pending, "approve", "Only members")


def test_duplicate_approval_counts_once(bot_server: Slack, pending: RequestRecord) -> None:
    slack = bot_server
    slack.click(BOB, "approve", pending)
    wait_until(lambda: len(slack.repo.decisions_for(pending.id)) == 1)
    refused_without_change(slack, BOB, pending, "approve", "You already approved")
    assert "1 of 2" in card_text(slack.card(pending))
    assert len(slack.thread(pending)) == 1


def test_racing_approvals_execute_once(slack_only_server: Slack) -> None:
    # Slack-only approvals: sixteen clicks at once (with codes: test_step_up.py).
    slack = slack_only_server
    pending = slack.request(REQUESTER, TEXT)
    clicks = [BOB, CAROL] * 8
    with ThreadPoolExecutor(max_workers=len(clicks)) as pool:
        list(pool.map(lambda p: slack.click(p, "approve", pending), clicks))
    slack.wait_status(pending, "SUCCEEDED")
    slack.settle()
    assert slack.sandbox.count("DeleteAccount") == 1
    assert sorted(d.user_id for d in slack.repo.decisions_for(pending.id)) == ["U0BOB", "U0CAROL"]
    approved = [m for m in slack.thread(pending) if "Approved by" in m.text]
    assert len(approved) == 1
    # Everyone else was told their click was a repeat or came too late; none was counted.
    ephemeral = slack.ephemerals(BOB) + slack.ephemerals(CAROL)
    assert len(ephemeral) == len(clicks) - 2


def test_reject_ends_it(bot_server: Slack, pending: RequestRecord) -> None:
    slack = bot_server
    slack.click(BOB, "reject", pending)
    slack.wait_status(pending, "REJECTED")
    slack.settle()
    assert buttons(slack.card(pending)) == []
    assert any("Rejected by <@U0BOB>" in m.text for m in slack.thread(pending))
    assert [c.params["channel"] for c in slack.standin.calls("chat.postMessage")].count(
        "D0ALICE"
    ) == 1
    refused_without_change(slack, CAROL, pending, "approve", "already REJECTED")


def test_requester_cancels(bot_server: Slack, pending: RequestRecord) -> None:
    slack = bot_server
    slack.signer.slash_command(BOB, f"cancel {pending.id}")  # not theirs: refused
    refusal = slack.standin.wait_for_calls("response_url")[0].params["text"]
    assert "Only the person who asked" in refusal
    assert slack.get(pending.id).status == "PENDING"

    slack.signer.slash_command(REQUESTER, f"cancel {pending.id}")
    slack.wait_status(pending, "CANCELLED")
    slack.settle()
    assert "cancelled" in slack.standin.wait_for_calls("response_url", 2)[1].params["text"]
    assert buttons(slack.card(pending)) == []
    assert any("Cancelled by <@U0ALICE>" in m.text for m in slack.thread(pending))
    refused_without_change(slack, BOB, pending, "approve", "already CANCELLED")


def test_unanswered_request_expires(bot_server: Slack, pending: RequestRecord) -> None:
    slack = bot_server
    slack.clock.advance(slack.stack.settings.request_ttl_seconds + 1)
    slack.stack.deps.worker_bell.ring()  # the worker sweeps; it would on its next poll too
    slack.wait_status(pending, "EXPIRED")
    slack.settle()
    assert buttons(slack.card(pending)) == []
    assert any("Expired" in m.text for m in slack.thread(pending))
    refused_without_change(slack, BOB, pending, "approve", "already EXPIRED")


def test_members_of_the_approver_user_group_may_approve(tmp_path: Path, clock: FakeClock) -> None:
    dave = Person("U0DAVE", "dave")
    with local_stack(
        tmp_path,
        clock=clock,
        usergroups={"S0OFFBOARD": [dave.user_id]},
        approvers=frozenset([BOB.user_id, CAROL.user_id]),
        approver_usergroup="S0OFFBOARD",
    ) as stack:
        slack = Slack(stack, clock)
        request = slack.request(REQUESTER, TEXT)
        slack.click(OUTSIDER, "approve", request)  # not in the list nor in the group
        wait_until(lambda: slack.ephemerals(OUTSIDER), what="the refusal")
        slack.click(dave, "approve", request)
        slack.click(BOB, "approve", request)
        assert slack.wait_status(request, "SUCCEEDED") == "SUCCEEDED"
        looked_up = [*stack.setup.calls, *slack.standin.calls()]  # at start-up or on a click
        groups = [c.params["usergroup"] for c in looked_up if c.method == "usergroups.users.list"]
        assert groups and set(groups) == {"S0OFFBOARD"}
        assert sorted(d.user_id for d in slack.repo.decisions_for(request.id)) == [
            "U0BOB",
            "U0DAVE",
        ]


def test_status_counts_approvals_as_the_card_does(tmp_path: Path, clock: FakeClock) -> None:
    """An approver who has left the group no longer counts in status and list, as on the card."""
    dave = Person("U0DAVE", "dave")
    with local_stack(
        tmp_path,
        clock=clock,
        usergroups={"S0OFFBOARD": [dave.user_id]},
        approvers=frozenset([BOB.user_id, CAROL.user_id]),
        approver_usergroup="S0OFFBOARD",
    ) as stack:
        slack = Slack(stack, clock)
        request = slack.request(REQUESTER, TEXT)
        slack.click(dave, "approve", request)
        wait_until(lambda: slack.repo.decisions_for(request.id), what="dave's approval")
        slack.standin.set_usergroup("S0OFFBOARD", [])
        clock.advance(600)  # past the group cache's five minutes
        slack.signer.slash_command(BOB, f"status {request.id}")
        status = str(slack.standin.wait_for_calls("response_url")[0].params["blocks"])
        assert "0 of 2 approvals" in status
        slack.signer.slash_command(BOB, "list")
        listed = str(slack.standin.wait_for_calls("response_url", 2)[1].params["blocks"])
        assert "0 of 2" in listed
