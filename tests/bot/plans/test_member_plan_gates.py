"""A gate is reviewed by the same rules as a single request: one Reject vetoes it, a gate
left undecided expires, and a status or steps changed in the database are refused at the
door; each way nothing is sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.devstack.local_stack import APPROVERS, REQUESTER
from commands.sandbox.seed_plan import ABANDONABLE_MEMBER, LEAVER_MEMBER
from storage.models import RequestRow
from storage.states import PlanState, Status
from tests.bot.plans.playing import gate, propose, wait_state, writes
from tests.commands.member_plan.running import LEAVER_USERS_TEXT
from tests.support.slack import Slack, wait_until


def test_one_reject_vetoes_gate_one_and_ends_the_plan(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    slack.click(APPROVERS[0], "approve", first)
    slack.click(APPROVERS[1], "reject", first)
    plan = wait_state(slack, plan, PlanState.ENDED)
    assert slack.get(first.id).status is Status.REJECTED
    assert writes(slack) == []
    kinds = [e.kind for e in slack.repo.audit_trail(first.id)]
    assert "request.rejected" in kinds
    slack.settle()
    dms = [
        str(c.params.get("text"))
        for c in slack.standin.calls("chat.postMessage")
        if c.params["channel"] == "D0ALICE"
    ]
    assert sum("ended: *ENDED*" in d for d in dms) == 1  # told once how it ended


def test_an_undecided_gate_two_expires_and_deletes_nothing(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, ABANDONABLE_MEMBER)
    plan = wait_state(slack, plan, PlanState.GATE2)
    second = gate(slack, plan, 2)
    slack.click(APPROVERS[0], "approve", second)
    slack.clock.advance(86400 + 1)  # past OFFBOARD_REQUEST_TTL_SECONDS
    slack.stack.deps.worker_bell.ring()
    plan = wait_state(slack, plan, PlanState.ENDED)
    assert slack.get(second.id).status is Status.EXPIRED
    slack.click(APPROVERS[1], "approve", second)  # too late: counts for nothing
    wait_until(lambda: slack.ephemerals(APPROVERS[1]), what="the refusal")
    assert slack.get(second.id).status is Status.EXPIRED
    assert writes(slack) == []


def test_a_gate_withdrawn_by_its_requester_ends_the_plan(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    slack.signer.slash_command(REQUESTER, f"cancel {first.id}")
    plan = wait_state(slack, plan, PlanState.ENDED)
    assert slack.get(first.id).status is Status.CANCELLED
    slack.click(APPROVERS[0], "approve", first)  # too late: nothing to approve
    wait_until(lambda: slack.ephemerals(APPROVERS[0]), what="the refusal")
    assert writes(slack) == []


def test_list_shows_a_plan_waiting_for_its_gate(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    slack.signer.slash_command(APPROVERS[0], "list")
    listed = str(slack.standin.wait_for_calls("response_url")[-1].params["blocks"])
    assert "Member plans waiting" in listed and plan.id in listed and first.id in listed
    assert "0 of 2" in listed


def _by_hand(slack: Slack, request_id: str, **values: object) -> None:
    """What someone with database access and no approvers does to a gate's row."""
    with slack.repo.engine.begin() as connection:
        connection.execute(update(RequestRow).where(RequestRow.id == request_id).values(**values))
    slack.stack.deps.worker_bell.ring()


def test_a_gate_marked_approved_in_the_database_sends_nothing(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    now = slack.clock()
    _by_hand(
        slack, first.id, status="APPROVED", approved_at=now, execute_by=now + timedelta(minutes=15)
    )
    wait_until(lambda: slack.get(first.id).status is Status.TAMPERED, what="the door's refusal")
    assert writes(slack) == []
    assert "request.tampered" in [e.kind for e in slack.repo.audit_trail(first.id)]


def test_a_gate_whose_steps_are_edited_after_its_approvals_sends_nothing(
    slack_only_server: Slack,
) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    slack.click(APPROVERS[0], "approve", first)
    wait_until(lambda: slack.repo.decisions_for(first.id), what="the first approval")
    # The attacker swaps in other steps before the second approval makes it APPROVED.
    _by_hand(slack, first.id, params={**first.params, "edited": "by hand"})
    slack.click(APPROVERS[1], "approve", first)
    wait_until(lambda: slack.get(first.id).status is Status.TAMPERED, what="the door's refusal")
    assert writes(slack) == []
