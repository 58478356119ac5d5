"""The whole flow for each of the five operations, through the real HTTP endpoint.

/offboard (signed slash command) -> the modal the bot opened -> view_submission -> the
card the stand-in received -> two approvers click -> the sandbox receives exactly one
signed call -> the result in the thread, the final card without buttons, the DM.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.devstack.local_stack import APPROVERS, REQUESTER
from bot.devstack.standin import Message
from tests.support.slack import Slack

FIVE = [
    pytest.param(
        "DeleteAccount AccountId=1512996702208737",
        "DeleteAccount",
        ["Deletion check", "Deletion is allowed"],
        id="DeleteAccount",
    ),
    pytest.param(
        "DeregisterDelegatedAdministrator AccountId=1699461245510000 "
        "ServicePrincipal=cloudfw.aliyuncs.com",
        "DeregisterDelegatedAdministrator",
        ["Delegated administrator of cloudfw.aliyuncs.com", "is registered for"],
        id="DeregisterDelegatedAdministrator",
    ),
    pytest.param(
        "RelieveAccountRelation RelationType=enterprise_group "
        "ParentUserId=1738376485192612 ChildUserId=1699461245510000",
        "RelieveAccountRelation",
        ["Finance relation", "Relation 51463"],
        id="RelieveAccountRelation",
    ),
    pytest.param(
        "ModifyAccountRelation RelationOperation=DELETE RelationType=enterprise_group "
        "ParentUserId=1738376485192612 ChildUserId=1276001234567890",
        "ModifyAccountRelation",
        ["Finance relation", "Relation 51464"],
        id="ModifyAccountRelation",
    ),
    pytest.param(
        "DetachHostAccountsFromUser InstanceId=bastionhost-cn-st220aw0001 "
        'RegionId=cn-hangzhou UserId=1 Hosts=\'[{"HostId":"1","HostAccountIds":["1"]}]\'',
        "DetachHostAccountsFromUser",
        ["Host 1 of user 1", "root"],
        id="DetachHostAccountsFromUser",
    ),
]


def card_text(message: Message) -> str:
    """Everything the card shows, as one string (blocks' text and fields)."""
    parts: list[str] = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.blocks)
    return "\n".join(parts)


def buttons(message: Message) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element.get("value", ""))
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


@pytest.mark.parametrize(("text", "action", "precheck"), FIVE)
def test_whole_flow(bot_server: Slack, text: str, action: str, precheck: list[str]) -> None:
    slack = bot_server
    request = slack.request(REQUESTER, text)
    card = slack.card(request)
    shown = card_text(card)
    # The card: operation, requester, reason, pre-check findings, tally and the buttons.
    assert action in shown and "<@U0ALICE>" in shown
    assert "HR closed the account" in shown
    for words in precheck:
        assert words in shown, f"{words!r} not on the card"
    assert "0 of 2" in shown
    assert buttons(card) == [("approve", request.id), ("reject", request.id)]
    assert slack.sandbox.count(action) == 0  # nothing runs on submit

    slack.click(APPROVERS[0], "approve", request)
    slack.click(APPROVERS[1], "approve", request)
    assert slack.wait_status(request, "SUCCEEDED", "FAILED") == "SUCCEEDED"
    slack.settle()

    calls = [c for c in slack.sandbox.calls if c.action == action]
    assert len(calls) == 1 and calls[0].signature_ok
    final = slack.card(request)
    assert buttons(final) == []
    assert "succeeded" in card_text(final).lower()
    replies = "\n".join(card_text(m) for m in slack.thread(request))
    # Clicks are decided after their acks, so either approver may have been counted first.
    assert re.search(r"<@U0(BOB|CAROL)> :\+1: approved\. Now 1 of 2 approvals", replies)
    assert re.search(r"Approved by <@U0(BOB|CAROL)>, <@U0(BOB|CAROL)>", replies)
    for name in ("Code", "Message", "RequestId", "HTTP status"):
        assert f"*{name}*" in replies
    assert calls[0].request_id in replies  # the cloud's own RequestId
    dms = [c for c in slack.standin.calls("chat.postMessage") if c.params["channel"] == "D0ALICE"]
    assert len(dms) == 1 and request.id in dms[0].params["text"]


def test_delete_account_progress_is_followed_until_success(bot_server: Slack) -> None:
    slack = bot_server
    request = slack.request(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    for approver in APPROVERS:
        slack.click(approver, "approve", request)
    slack.wait_status(request, "SUCCEEDED")
    slack.settle()
    replies = [card_text(m) for m in slack.thread(request)]
    progress = [r for r in replies if "status:" in r]
    assert progress, replies
    assert slack.sandbox.count("GetAccountDeletionStatus") >= 1
    assert any("Succeeded" in r for r in replies)
    assert slack.sandbox.count("DeleteAccount") == 1


def test_picker_updates_the_modal_keeping_ids(bot_server: Slack) -> None:
    slack = bot_server
    picker = slack.open_modal(REQUESTER)
    ids = [b.get("block_id") for b in picker["blocks"] if b["type"] == "input"]
    assert ids == ["operation"]
    response = slack.signer.pick(REQUESTER, picker, "operation", "DeregisterDelegatedAdministrator")
    assert response.status_code == 200
    update = slack.standin.wait_for_calls("views.update")[0].params
    assert update["view_id"] == picker["id"] and update["hash"] == picker["hash"]
    inputs = {
        b["block_id"]: b["element"]["action_id"]
        for b in update["view"]["blocks"]
        if b["type"] == "input"
    }
    assert inputs == {
        "operation": "operation",
        "AccountId": "AccountId",
        "ServicePrincipal": "ServicePrincipal",
        "reason": "reason",
    }


def test_prefilled_modal_and_field_errors(bot_server: Slack) -> None:
    slack = bot_server
    view = slack.open_modal(REQUESTER, "DeleteAccount AccountId=1699461245510000")
    account = next(b for b in view["blocks"] if b.get("block_id") == "AccountId")
    assert account["element"]["initial_value"] == "1699461245510000"

    response = slack.submit(REQUESTER, view, {"AccountId": "12345", "reason": "."})
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"AccountId", "reason"}
    assert slack.repo.list_requests() == []
    assert slack.standin.calls("chat.postMessage") == []
    assert slack.sandbox.calls == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", "Usage"),
        ("frobnicate", "Unknown operation"),
        ("status OB-NOPE0000", None),
    ],
)
def test_help_usage_and_status(bot_server: Slack, text: str, expected: str | None) -> None:
    response = bot_server.signer.slash_command(REQUESTER, text)
    assert response.status_code == 200
    if expected is not None:
        assert expected in str(response.json())
        return
    posted = bot_server.standin.wait_for_calls("response_url")[0].params
    assert "There is no request OB-NOPE0000" in posted["text"]


def test_list_and_status_of_a_pending_request(bot_server: Slack) -> None:
    slack = bot_server
    request = slack.request(REQUESTER, "DeleteAccount AccountId=1512996702208737")
    slack.signer.slash_command(APPROVERS[0], "list")
    listed = slack.standin.wait_for_calls("response_url")[0].params
    assert request.id in listed["text"] or request.id in str(listed["blocks"])
    slack.signer.slash_command(APPROVERS[0], f"status {request.id}")
    status = slack.standin.wait_for_calls("response_url", 2)[1].params
    assert "Waiting for approval" in str(status["blocks"])
