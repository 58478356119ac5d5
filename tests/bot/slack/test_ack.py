"""Ack first, work after: a slow cloud or a slow Slack never delays the answer to Slack.

Slack allows 3 s for the HTTP 200 (slash commands and interactivity alike). Here the
slow part takes longer than that, and the ack must still come back at once.
"""

from __future__ import annotations

import time

from bot.devstack.local_stack import APPROVERS, REQUESTER
from tests.support.slack import Slack, wait_until

TEXT = "DeleteAccount AccountId=1512996702208737"
PROMPT = 1.0  # seconds; far below Slack's 3 s, far above an idle ack


def test_slow_views_open_does_not_delay_the_slash_command_ack(bot_server: Slack) -> None:
    slack = bot_server
    slack.standin.delay("views.open", 2.5)
    started = time.monotonic()
    response = slack.signer.slash_command(REQUESTER, TEXT)
    assert response.status_code == 200
    assert time.monotonic() - started < PROMPT
    slack.standin.wait_for_calls("views.open")


def test_slow_pre_checks_do_not_delay_closing_the_modal(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, TEXT)
    slack.sandbox.delay("CheckAccountDelete", 3.5)
    started = time.monotonic()
    response = slack.submit(REQUESTER, view, {"reason": "the employee left; HR closed it"})
    assert response.status_code == 200 and response.text == ""  # closes the modal
    assert time.monotonic() - started < PROMPT
    wait_until(lambda: slack.standin.calls("chat.postMessage"), 15, "the card")
    assert time.monotonic() - started >= 3.5  # the card waited for the pre-check


def test_slow_slack_and_slow_cloud_do_not_delay_clicks(bot_server: Slack) -> None:
    slack = bot_server
    request = slack.request(REQUESTER, TEXT)
    slack.standin.delay("chat.update", 2.0)
    slack.standin.delay("chat.postMessage", 2.0)
    slack.sandbox.delay("DeleteAccount", 3.5)
    for approver in APPROVERS:
        started = time.monotonic()
        slack.click(approver, "approve", request)
        assert time.monotonic() - started < PROMPT
    started = time.monotonic()
    slack.click(REQUESTER, "approve", request)  # refused: the ephemeral comes later
    assert time.monotonic() - started < PROMPT
    assert slack.wait_status(request, "SUCCEEDED", timeout=30) == "SUCCEEDED"
    assert slack.sandbox.count("DeleteAccount") == 1
