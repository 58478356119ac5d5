"""Rolling back the reversible phase while gate 2 waits: a request of its own, approved
by others before anything is sent, undoing exactly what gate 1 did; gate 2 withdrawn."""

from __future__ import annotations

from bot.devstack.local_stack import APPROVERS, REQUESTER
from commands.sandbox.seed import DEMO_INSTANCE_ID
from commands.sandbox.seed_plan import LEAVER_MEMBER, LEAVER_SERVICES, LEAVER_USER
from storage.states import PlanState, Status, StepState
from tests.bot.plans.playing import (
    buttons,
    click_in_thread,
    gate,
    propose,
    sent_once,
    text_of,
    thread,
    wait_state,
    writes,
)
from tests.commands.member_plan.running import LEAVER_USERS_TEXT
from tests.support.slack import Slack, wait_until


def test_gate_one_is_rolled_back_with_its_own_approvals(slack_only_server: Slack) -> None:
    slack = slack_only_server
    world = slack.sandbox.world
    before = {h: set(a) for h, a in world.instances[DEMO_INSTANCE_ID].grants[LEAVER_USER].items()}
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    for approver in APPROVERS:
        slack.click(approver, "approve", first)
    plan = wait_state(slack, plan, PlanState.GATE2)
    second = gate(slack, plan, 2)
    slack.settle()
    message = next(m for m in thread(slack, plan) if "Gate 2: DeleteAccount" in text_of(m))
    assert ("plan_rollback", plan.id) in buttons(message)
    click_in_thread(slack, APPROVERS[0], "plan_rollback", plan.id, message)  # not theirs
    wait_until(lambda: slack.ephemerals(APPROVERS[0]), what="the refusal")
    click_in_thread(slack, REQUESTER, "plan_rollback", plan.id, message)
    plan = wait_state(slack, plan, PlanState.ROLLBACK)
    assert slack.get(second.id).status is Status.CANCELLED  # nothing will be deleted
    undo = gate(slack, plan, 3)
    steps = slack.repo.steps_of(undo.id)
    # Exactly the undo each step of gate 1 declared, and nothing for the relieved relation.
    declared = [u["key"] for s in slack.repo.steps_of(first.id) for u in s.step["rollback"]]
    assert sorted(s.key for s in steps) == sorted(declared)
    assert {s.action for s in steps} == {
        "AttachHostAccountsToUser",
        "RegisterDelegatedAdministrator",
    }
    sent_before = len(writes(slack))
    slack.settle()
    asked = next(m for m in thread(slack, plan) if "Rollback of gate 1" in text_of(m))
    assert "RelieveAccountRelation" in text_of(asked)  # named as not undone
    assert buttons(asked)[:2] == [("approve", undo.id), ("reject", undo.id)]
    slack.click(REQUESTER, "approve", undo)  # the requester cannot approve it
    slack.click(APPROVERS[0], "approve", undo)
    wait_until(lambda: slack.repo.decisions_for(undo.id), what="one approval")
    assert len(writes(slack)) == sent_before  # one approval of two: nothing sent
    slack.click(APPROVERS[1], "approve", undo)
    plan = wait_state(slack, plan, PlanState.ROLLED_BACK, PlanState.STOPPED)
    assert plan.state is PlanState.ROLLED_BACK
    assert {s.state for s in slack.repo.steps_of(undo.id)} == {StepState.DONE}
    after = {h: set(a) for h, a in world.instances[DEMO_INSTANCE_ID].grants[LEAVER_USER].items()}
    assert after == before
    assert {d.service_principal for d in world.delegations_of(LEAVER_MEMBER)} == set(
        LEAVER_SERVICES
    )
    sent = writes(slack)
    assert sent_once(sent) and not [c for c in sent if c.action == "DeleteAccount"]
