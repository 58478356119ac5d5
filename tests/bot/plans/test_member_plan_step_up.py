"""A gate is approved as a single request is, with step-up on (the product's default):
Approve opens the code window showing every call the gate covers and their digest; the
code is checked before the approval counts."""

from __future__ import annotations

import re

from bot.devstack.local_stack import APPROVERS, REQUESTER
from commands.sandbox.seed_plan import LEAVER_MEMBER
from storage.states import PlanState
from tests.bot.plans.playing import card, gate, propose, text_of, wait_state
from tests.commands.member_plan.running import LEAVER_USERS_TEXT
from tests.support.slack import Slack


def test_gate_one_is_approved_with_codes_over_every_step(bot_server: Slack) -> None:
    slack = bot_server
    plan = propose(slack, REQUESTER, LEAVER_MEMBER, LEAVER_USERS_TEXT)
    first = gate(slack, plan, 1)
    view = slack.open_step_up(APPROVERS[0], first)
    assert view is not None
    shown = str(view["blocks"])
    for step in slack.repo.steps_of(first.id):
        assert f"{step.ordinal}. {step.action}" in shown
    # The digest the window shows is the one on the card: it covers every call of the gate.
    found = re.search(r"Digest\* `([0-9a-f ]{19})`", shown)
    assert found and f"Digest `{found.group(1)}`" in text_of(card(slack, plan))
    slack.submit_code(APPROVERS[0], view, "000000")  # a wrong code counts nothing
    assert slack.repo.decisions_for(first.id) == []
    for approver in APPROVERS:
        slack.click(approver, "approve", first)
    plan = wait_state(slack, plan, PlanState.GATE2)
    assert len(slack.repo.decisions_for(first.id)) == 2
