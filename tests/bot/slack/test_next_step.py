"""A failed call's next step in the thread, through the real HTTP endpoint and worker.

DeleteAccount of a delegated administrator: the cloud answers
RemoveConfilctAccountAsDelegatedAdministator, and the thread says, under Code, Message
and RequestId, to deregister the member first, with the /offboard command filled in;
that command, typed back, opens the request form already filled.
"""

from __future__ import annotations

import re

from bot.devstack.local_stack import APPROVERS, REQUESTER
from storage.records import RequestRecord
from tests.bot.slack.test_flow import card_text
from tests.support.slack import Slack

ADMIN = "1699461245510000"  # delegated administrator of cloudfw.aliyuncs.com
CODE = "RemoveConfilctAccountAsDelegatedAdministator"


def refused_deletion(slack: Slack) -> tuple[RequestRecord, str]:
    request = slack.request(REQUESTER, f"DeleteAccount AccountId={ADMIN}")
    for approver in APPROVERS:
        slack.click(approver, "approve", request)
    assert slack.wait_status(request, "SUCCEEDED", "FAILED", "UNKNOWN") == "FAILED"
    slack.settle()
    results = [card_text(m) for m in slack.thread(request) if CODE in card_text(m)]
    assert len(results) == 1, [card_text(m) for m in slack.thread(request)]
    return request, results[0]


def test_the_thread_says_to_deregister_first_and_how_to_find_the_service(
    bot_server: Slack,
) -> None:
    slack = bot_server
    _, result = refused_deletion(slack)
    call = [c for c in slack.sandbox.calls if c.action == "DeleteAccount"]
    assert len(call) == 1 and call[0].request_id in result
    next_step = next(line for line in result.splitlines() if "*Next step*" in line)
    assert result.splitlines()[-1] == next_step  # under Code, Message and RequestId
    assert "`offboard-bot call ListDelegatedServicesForAccount AccountId=1699461245510000`" in (
        next_step
    )
    assert (
        "`/offboard DeregisterDelegatedAdministrator AccountId=1699461245510000 "
        "ServicePrincipal=&lt;service&gt;`" in next_step
    )
    assert slack.sandbox.world.accounts[ADMIN].deletion is None


def test_a_service_named_by_the_cloud_fills_the_command_and_it_opens_the_form(
    bot_server: Slack,
) -> None:
    slack = bot_server
    slack.sandbox.fail(
        "DeleteAccount",
        status=409,
        code=CODE,
        message="The member is a delegated administrator of cloudfw.aliyuncs.com.",
    )
    _, result = refused_deletion(slack)
    command = re.search(r"`/offboard (DeregisterDelegatedAdministrator [^`]*)`", result)
    assert command is not None
    assert command.group(1) == (
        "DeregisterDelegatedAdministrator AccountId=1699461245510000 "
        "ServicePrincipal=cloudfw.aliyuncs.com"
    )
    # Typed back as it stands, the command opens the form filled with both values.
    view = slack.open_modal(REQUESTER, command.group(1))
    filled = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert filled["AccountId"] == ADMIN
    assert filled["ServicePrincipal"] == "cloudfw.aliyuncs.com"
