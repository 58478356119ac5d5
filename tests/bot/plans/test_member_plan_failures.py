"""A step that fails stops the plan, with its Code, Message, RequestId and the next step;
only the requester retries it, skips it with a reason, or abandons the plan, and each is
audited. A retry that finds the step already done counts it done."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from bot.devstack.local_stack import APPROVERS, REQUESTER
from commands.sandbox.seed_plan import LEAVER_MEMBER
from storage.plan_records import PlanRecord, StepRecord
from storage.states import PlanState, Status, StepState
from tests.bot.plans.playing import (
    buttons,
    click_in_thread,
    gate,
    propose,
    text_of,
    thread,
    wait_state,
    writes,
)
from tests.commands.member_plan.running import LEAVER_USERS_TEXT
from tests.support.slack import Slack, wait_until


def stop_at_a_failure(slack: Slack, action: str, code: str) -> tuple[PlanRecord, StepRecord]:
    slack.sandbox.fail(action, status=400, code=code, message="refused by the test")
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    for approver in APPROVERS:
        slack.click(approver, "approve", first)
    plan = wait_state(slack, plan, PlanState.STOPPED, PlanState.GATE2)
    assert plan.state is PlanState.STOPPED
    [failed] = [s for s in slack.repo.steps_of(first.id) if s.state is StepState.FAILED]
    assert failed.action == action and failed.result.code == code and failed.result.request_id
    return plan, failed


def stopped_reply(slack: Slack, plan: PlanRecord, step: StepRecord):  # type: ignore[no-untyped-def]
    slack.settle()
    found = [m for m in thread(slack, plan) if "The plan is stopped" in text_of(m)]
    assert found
    shown = text_of(found[-1])
    for words in (step.key, "*Code*", step.result.code, "*Message*", "*RequestId*", "Next step"):
        assert words and words in shown
    assert step.result.request_id and step.result.request_id in shown
    assert [a for a, _ in buttons(found[-1])] == ["plan_retry", "plan_skip", "plan_abandon"]
    return found[-1]


def events(slack: Slack, kind: str) -> list[dict[str, Any]]:
    """The audit log's events of ``kind``, oldest first."""
    with slack.repo.engine.connect() as connection:
        rows = connection.execute(text("SELECT kind, data FROM audit_events ORDER BY seq"))
        found = [r.data for r in rows if r.kind == kind]
    return [json.loads(d) if isinstance(d, str) else dict(d) for d in found]


def test_a_retry_finds_the_step_already_done(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan, failed = stop_at_a_failure(slack, "DeregisterDelegatedAdministrator", "Throttling.User")
    message = stopped_reply(slack, plan, failed)
    writes_when_stopped = len(writes(slack))
    click_in_thread(slack, APPROVERS[0], "plan_retry", plan.id, message)  # not theirs
    wait_until(lambda: slack.ephemerals(APPROVERS[0]), what="the refusal")
    assert len(writes(slack)) == writes_when_stopped
    # Meanwhile someone deregistered the service by hand; the retry finds it done.
    service = failed.signed["ServicePrincipal"]
    world = slack.sandbox.world
    world.delegations[:] = [d for d in world.delegations if d.service_principal != service]
    click_in_thread(slack, REQUESTER, "plan_retry", plan.id, message)
    plan = wait_state(slack, plan, PlanState.GATE2)
    retried = slack.repo.get_step(failed.id)
    assert retried is not None and retried.state is StepState.ALREADY_DONE
    assert retried.result.code == "AccountNotRegistered"
    assert any(e.get("step_id") == failed.id for e in events(slack, "plan.step_retried"))


def test_a_step_skipped_with_a_reason_is_audited(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan, failed = stop_at_a_failure(slack, "RelieveAccountRelation", "InvalidParameter")
    message = stopped_reply(slack, plan, failed)
    before = len(slack.standin.calls("views.open"))
    click_in_thread(slack, REQUESTER, "plan_skip", plan.id, message)
    view = slack.standin.wait_for_calls("views.open", before + 1)[before].params["view"]
    reason = "finance relieves this relation by hand tomorrow"
    response = slack.submit(REQUESTER, {**view, "id": "VSKIP0001"}, {"reason": reason})
    assert response.status_code == 200 and response.text == ""
    plan = wait_state(slack, plan, PlanState.GATE2, PlanState.BLOCKED)
    skipped = slack.repo.get_step(failed.id)
    assert skipped is not None and skipped.state is StepState.SKIPPED
    assert skipped.skip_reason == reason
    [event] = events(slack, "plan.step_skipped")
    assert event["reason"] == reason and event["step_id"] == failed.id


def test_an_abandoned_plan_sends_nothing_more(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan, failed = stop_at_a_failure(slack, "RelieveAccountRelation", "InvalidParameter")
    message = stopped_reply(slack, plan, failed)
    sent = len(writes(slack))
    click_in_thread(slack, REQUESTER, "plan_abandon", plan.id, message)
    plan = wait_state(slack, plan, PlanState.ABANDONED)
    assert gate(slack, plan, 1).status is Status.FAILED
    slack.stack.deps.worker_bell.ring()
    slack.settle()
    assert len(writes(slack)) == sent
    assert events(slack, "plan.abandoned")
    dms = [c for c in slack.standin.calls("chat.postMessage") if c.params["channel"] == "D0ALICE"]
    assert any("ABANDONED" in str(c.params.get("text")) for c in dms)
