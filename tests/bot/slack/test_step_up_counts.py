"""Counting with step-up: only approvals of the required assurance count, everywhere.

Slack-only approvals (``OFFBOARD_STEP_UP=off``) are said on every card; once step-up is
on, approvals recorded as Slack-account clicks no longer count on the card, in
``/offboard status`` or in ``/offboard list``.
"""

from __future__ import annotations

import pytest

from bot.approvals.policy import ApprovalRules, ApproverDirectory
from bot.approvals.workflow import Workflow
from bot.devstack.local_stack import APPROVERS, REQUESTER
from storage.records import RequestRecord
from storage.states import Assurance, Vote
from tests.bot.slack.test_flow import card_text
from tests.bot.slack.test_step_up import TEXT, step_up_modals
from tests.support.slack import Slack, wait_until

BOB, CAROL = APPROVERS


@pytest.fixture
def pending(bot_server: Slack) -> RequestRecord:
    return bot_server.request(REQUESTER, TEXT)


def test_slack_only_approvals_are_said_on_every_card(slack_only_server: Slack) -> None:
    slack = slack_only_server
    request = slack.request(REQUESTER, TEXT)
    assert "Approvals are Slack-only" in card_text(slack.card(request))
    slack.click(BOB, "approve", request)
    wait_until(lambda: slack.repo.decisions_for(request.id), what="bob's approval")
    [decision] = slack.repo.decisions_for(request.id)
    assert decision.assurance is Assurance.SLACK_ACCOUNT
    assert step_up_modals(slack) == []  # no modal, no code
    slack.settle()
    assert "Approvals are Slack-only" in card_text(slack.card(request))


def test_slack_only_approvals_do_not_count_once_step_up_is_on(
    bot_server: Slack, pending: RequestRecord
) -> None:
    slack = bot_server
    # bob approved while the bot ran with OFFBOARD_STEP_UP=off (a Slack-account click).
    before = Workflow(
        slack.repo,
        ApprovalRules(directory=ApproverDirectory({BOB.user_id, CAROL.user_id}, clock=slack.clock)),
    )
    before.decide(pending.id, BOB.user_id, Vote.APPROVE, slack.clock())
    slack.signer.slash_command(CAROL, f"status {pending.id}")
    status = str(slack.standin.wait_for_calls("response_url")[0].params["blocks"])
    assert "0 of 2 approvals" in status
    slack.signer.slash_command(CAROL, "list")
    assert "0 of 2" in str(slack.standin.wait_for_calls("response_url", 2)[1].params["blocks"])
    slack.click(CAROL, "approve", pending)  # with a code
    slack.settle()
    assert "1 of 2 approvals" in card_text(slack.card(pending))
    assert slack.get(pending.id).status == "PENDING"  # bob's click is not enough
