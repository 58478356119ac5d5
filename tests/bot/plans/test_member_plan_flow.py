"""A member plan through the real HTTP endpoint against the sandbox (issue 10).

/offboard member -> the plan modal -> discovery after the ack -> the plan card with every
step as signed -> gate 1 approved by two others -> its steps sent once each, verified,
answered in the thread -> a fresh check -> gate 2 in the thread -> DeleteAccount followed
to Success. Step-up is off: these tests are about the plan, not the second factor.
"""

from __future__ import annotations

import json
import re

from bot.devstack.local_stack import APPROVERS, REQUESTER
from commands.sandbox.seed_plan import LEAVER_MEMBER, LEAVER_SERVICES
from storage.audit_verify import verify
from storage.states import PlanState, StepState
from tests.bot.plans.playing import (
    buttons,
    card,
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


def test_a_leaver_is_offboarded_as_one_plan(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    assert plan.state is PlanState.GATE1
    first = gate(slack, plan, 1)
    shown = text_of(card(slack, plan))
    steps = slack.repo.steps_of(first.id)
    assert [s.action for s in steps].count("DetachHostAccountsFromUser") == 3
    for step in steps:  # every step with its exact parameters as signed
        assert f"{step.ordinal}. {step.action}" in shown
        assert json.dumps(step.signed, indent=1, ensure_ascii=False) in shown
    for service in LEAVER_SERVICES:
        assert service in shown
    assert "irreversible" in shown and "reversible" in shown
    assert buttons(card(slack, plan)) == [("approve", first.id), ("reject", first.id)]
    assert writes(slack) == []  # discovery only reads

    slack.click(REQUESTER, "approve", first)  # the requester cannot approve their own gate
    refusal = wait_until(lambda: slack.ephemerals(REQUESTER), what="the refusal")
    assert "someone else has to decide" in refusal[0]
    assert slack.repo.decisions_for(first.id) == []
    slack.click(APPROVERS[0], "approve", first)
    assert writes(slack) == []  # one approval of two: still nothing sent
    slack.click(APPROVERS[1], "approve", first)

    plan = wait_state(slack, plan, PlanState.GATE2, PlanState.STOPPED, PlanState.BLOCKED)
    assert plan.state is PlanState.GATE2, plan
    done = slack.repo.steps_of(first.id)
    assert {s.state for s in done} == {StepState.DONE}
    assert all(s.verified for s in done)
    assert [c.action for c in writes(slack)].count("DeleteAccount") == 0
    second = gate(slack, plan, 2)
    slack.settle()
    replies = [text_of(m) for m in thread(slack, plan)]
    assert any(re.search(r"<@U0(BOB|CAROL)> approved gate 1\. Now 1 of 2", r) for r in replies)
    gate2 = [r for r in replies if "Gate 2: DeleteAccount" in r]
    assert gate2 and "AllowDelete* true" in gate2[0] and "AbandonableChecks" in gate2[0]
    for step in done:
        reply = next(r for r in replies if f"`{step.key}`" in r and "*Code*" in r)
        assert "*Message*" in reply and "*RequestId*" in reply and step.result.request_id in reply

    for approver in APPROVERS:
        slack.click(approver, "approve", second)
    plan = wait_state(slack, plan, PlanState.SUCCEEDED, PlanState.STOPPED, PlanState.FAILED)
    assert plan.state is PlanState.SUCCEEDED
    slack.settle()
    sent = writes(slack)
    assert sent_once(sent) and len(sent) == len(done) + 1
    [deletion] = [c for c in sent if c.action == "DeleteAccount"]
    assert "AbandonableCheckId" not in deletion.params  # none was offered, none chosen
    assert all(c.signature_ok for c in sent)
    replies = [text_of(m) for m in thread(slack, plan)]
    assert any("deletion status says Success" in r for r in replies)
    assert (
        LEAVER_MEMBER not in slack.sandbox.world.accounts
        or slack.sandbox.world.accounts[LEAVER_MEMBER].deletion is not None
    )
    # The requester heard at each gate and at the end, in a DM.
    dms = [
        str(c.params.get("text"))
        for c in slack.standin.calls("chat.postMessage")
        if c.params["channel"] == "D0ALICE"
    ]
    assert sum("waiting for the approvals of gate 1" in d for d in dms) == 1
    assert sum("waiting for the approvals of gate 2" in d for d in dms) == 1
    assert sum("ended: *SUCCEEDED*" in d for d in dms) == 1
    # /offboard status PLAN_ID shows the plan, every step done.
    slack.signer.slash_command(APPROVERS[0], f"status {plan.id}")
    status = slack.standin.wait_for_calls("response_url")[-1].params
    shown = str(status["blocks"])
    assert plan.id in shown and "SUCCEEDED" in shown
    assert shown.count("· DONE ·") == len(done) + 1
    # The audit chain holds, and each gate that sent anything was submitted and approved.
    checked = verify(slack.repo.engine)
    assert checked.ok, str(checked)
    kinds = {e.kind for g in (first, second) for e in slack.repo.audit_trail(g.id)}
    assert {"request.submitted", "decision.recorded", "plan.step_sent"} <= kinds
