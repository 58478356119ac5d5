"""The member plan's other paths, through the real HTTP endpoint against the sandbox:
a member that may not be deleted stops before gate 2 naming each blocker and is
re-checked from a button; one that is no resource account, or whose discovery failed,
gets no destructive step; an abandonable check is sent only when chosen, and a new
choice files gate 2 again (earlier approvals do not carry over)."""

from __future__ import annotations

from bot.devstack.local_stack import APPROVERS, REQUESTER
from commands.sandbox.seed import INVITED_MEMBER
from commands.sandbox.seed_plan import ABANDONABLE_MEMBER, BLOCKED_MEMBER, LEAVER_MEMBER
from storage.states import PlanState, Status
from tests.bot.plans.playing import (
    buttons,
    card,
    click_in_thread,
    gate,
    propose,
    submit_checks,
    text_of,
    thread,
    wait_state,
    writes,
)
from tests.support.slack import Slack, wait_until


def test_bad_input_in_the_plan_modal_is_refused_field_by_field(slack_only_server: Slack) -> None:
    slack = slack_only_server
    view = slack.open_modal(REQUESTER, "member AccountId=12")
    response = slack.submit(
        REQUESTER,
        view,
        {"BastionhostUsers": "cn-hangzhou <!channel>", "reason": "x"},
    )
    errors = response.json()["errors"]
    assert set(errors) == {"AccountId", "BastionhostUsers", "reason"}
    assert "Line 1" in errors["BastionhostUsers"] and "<!channel>" not in errors["BastionhostUsers"]
    assert slack.repo.plans_in(list(PlanState)) == [] and slack.sandbox.calls == []


def test_a_blocked_member_stops_before_gate_two_and_is_rechecked(
    slack_only_server: Slack,
) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, BLOCKED_MEMBER)
    plan = wait_state(slack, plan, PlanState.BLOCKED)
    slack.settle()
    blocked = next(m for m in thread(slack, plan) if "Stopped before gate 2" in text_of(m))
    shown = text_of(blocked)
    for words in ("AllowDelete=false", "UNPAID_BILLS", "unpaid bills", "DOMAIN", "domain names"):
        assert words in shown
    assert ("plan_recheck", plan.id) in buttons(blocked)
    assert [g.gate for g in slack.repo.gates_of(plan.id)] == []  # no gate 2 opened
    assert writes(slack) == []
    # The finance owner and the domains' owner act; the requester re-checks, no new plan.
    slack.sandbox.world.accounts[BLOCKED_MEMBER].not_allowed.clear()
    click_in_thread(slack, APPROVERS[0], "plan_recheck", plan.id, blocked)  # not theirs
    wait_until(lambda: slack.ephemerals(APPROVERS[0]), what="the refusal")
    assert slack.repo.get_plan(plan.id).state is PlanState.BLOCKED  # type: ignore[union-attr]
    click_in_thread(slack, REQUESTER, "plan_recheck", plan.id, blocked)
    plan = wait_state(slack, plan, PlanState.GATE2)
    assert [g.gate for g in slack.repo.gates_of(plan.id)] == [2]
    assert len(slack.repo.plans_in(list(PlanState))) == 1


def test_an_invited_account_is_refused_and_nothing_is_proposed(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, INVITED_MEMBER)
    assert plan.state is PlanState.REFUSED
    shown = text_of(card(slack, plan))
    assert "not a resource account" in shown and "MemberTypeError.DeleteAccount" in shown
    assert buttons(card(slack, plan)) == []
    assert slack.repo.gates_of(plan.id) == [] and writes(slack) == []
    slack.settle()
    dms = [c for c in slack.standin.calls("chat.postMessage") if c.params["channel"] == "D0ALICE"]
    assert any("nothing is proposed" in str(c.params.get("text")) for c in dms)


def test_the_picker_offers_the_member_plan(slack_only_server: Slack) -> None:
    slack = slack_only_server
    picker = slack.open_modal(REQUESTER)
    response = slack.signer.pick(REQUESTER, picker, "operation", "member")
    assert response.status_code == 200
    update = slack.standin.wait_for_calls("views.update")[0].params["view"]
    assert update["callback_id"] == "offboard_member"
    inputs = [b["block_id"] for b in update["blocks"] if b["type"] == "input"]
    assert inputs == ["AccountId", "BastionhostUsers", "reason"]
    # Submitting the picker itself ("Next") with the member plan chosen shows the same.
    answer = slack.submit(REQUESTER, picker, {"operation": "member"}).json()
    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == "offboard_member"


def test_a_failed_discovery_proposes_no_destructive_step(slack_only_server: Slack) -> None:
    slack = slack_only_server
    slack.sandbox.fail(
        "ListDelegatedServicesForAccount", status=403, code="NoPermission", message="denied"
    )
    plan = propose(slack, REQUESTER, LEAVER_MEMBER)
    assert plan.state is PlanState.REFUSED
    shown = text_of(card(slack, plan))
    assert "Discovery is incomplete" in shown and "NoPermission" in shown
    assert slack.repo.gates_of(plan.id) == [] and writes(slack) == []


def test_abandonable_checks_are_sent_only_as_chosen(slack_only_server: Slack) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, ABANDONABLE_MEMBER)
    plan = wait_state(slack, plan, PlanState.GATE2)
    first = gate(slack, plan, 2)
    assert first.params["steps"][0]["params"] == {"AccountId": ABANDONABLE_MEMBER}
    slack.click(APPROVERS[0], "approve", first)
    wait_until(lambda: slack.repo.decisions_for(first.id), what="the first approval")
    slack.settle()
    message = next(m for m in thread(slack, plan) if "Gate 2: DeleteAccount" in text_of(m))
    assert "NON_SP_cs" in text_of(message) and "NON_SP_ecs" in text_of(message)
    assert ("abandon_checks", plan.id) in buttons(message)

    before = len(slack.standin.calls("views.open"))
    click_in_thread(slack, REQUESTER, "abandon_checks", plan.id, message)
    opened = slack.standin.wait_for_calls("views.open", before + 1)[before].params["view"]
    assert opened["blocks"][1]["block_id"] == "AbandonableCheckId"
    submit_checks(slack, REQUESTER, {**opened, "id": "VCHECKS1"}, ["NON_SP_cs", "NON_SP_ecs"])

    def refiled() -> bool:
        return len([g for g in slack.repo.gates_of(plan.id) if g.gate == 2]) == 2

    wait_until(refiled, what="gate 2 filed again")
    assert slack.get(first.id).status is Status.CANCELLED
    second = gate(slack, plan, 2)
    assert second.params["steps"][0]["params"] == {
        "AccountId": ABANDONABLE_MEMBER,
        "AbandonableCheckId": '["NON_SP_cs","NON_SP_ecs"]',
    }
    assert slack.repo.decisions_for(second.id) == []  # the earlier approval does not carry
    slack.settle()
    [old] = [m for m in thread(slack, plan) if m.ts == message.ts]
    assert "Superseded" in text_of(old) and buttons(old) == []
    for approver in APPROVERS:
        slack.click(approver, "approve", second)
    plan = wait_state(slack, plan, PlanState.SUCCEEDED, PlanState.FAILED, PlanState.STOPPED)
    assert plan.state is PlanState.SUCCEEDED
    [deletion] = writes(slack)
    assert deletion.action == "DeleteAccount"
    assert deletion.params["AbandonableCheckId"] == '["NON_SP_cs","NON_SP_ecs"]'


def test_a_deletion_that_fails_its_own_check_stops_with_the_reasons(
    slack_only_server: Slack,
) -> None:
    slack = slack_only_server
    plan = propose(slack, REQUESTER, ABANDONABLE_MEMBER)
    plan = wait_state(slack, plan, PlanState.GATE2)
    slack.settle()
    message = next(m for m in thread(slack, plan) if "Gate 2: DeleteAccount" in text_of(m))
    before = len(slack.standin.calls("views.open"))
    click_in_thread(slack, REQUESTER, "abandon_checks", plan.id, message)
    opened = slack.standin.wait_for_calls("views.open", before + 1)[before].params["view"]
    submit_checks(slack, REQUESTER, {**opened, "id": "VCHECKS2"}, ["NON_SP_cs"])
    wait_until(lambda: len(slack.repo.gates_of(plan.id)) == 2, what="gate 2 filed again")
    second = gate(slack, plan, 2)
    for approver in APPROVERS:
        slack.click(approver, "approve", second)
    plan = wait_state(slack, plan, PlanState.STOPPED, PlanState.SUCCEEDED)
    assert plan.state is PlanState.STOPPED
    [deletion] = slack.repo.steps_of(second.id)
    assert deletion.state.value == "FAILED"
    assert "The member still has ECS instances." in (deletion.result.message or "")
    slack.settle()
    stopped = [text_of(m) for m in thread(slack, plan) if "The plan is stopped" in text_of(m)]
    assert stopped and "ECS instances" in stopped[-1]
