"""The next step under a failed result: one line, from the catalog, shown as it is."""

from __future__ import annotations

from bot.slack.views import replies
from commands.catalog import get_spec
from storage.records import ExecutionResult
from storage.states import Status
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping, check_message_blocks, texts

CODE = "RemoveConfilctAccountAsDelegatedAdministator"
FAILED = ExecutionResult(409, CODE, "deregister first", "F00D", "https://api.aliyun.com/x?q=1", {})


def text_of(message: replies.SlackMessage) -> str:
    check_message_blocks(message["blocks"])
    return "\n".join(texts(message["blocks"]))


def test_the_next_step_is_one_line_under_code_message_and_request_id() -> None:
    step = get_spec("DeleteAccount").next_step(
        CODE, {"AccountId": "1699461245510000"}, "delegated administrator of cloudfw.aliyuncs.com"
    )
    assert step is not None
    lines = text_of(replies.result("DeleteAccount", Status.FAILED, FAILED, step)).splitlines()
    order = [i for i, line in enumerate(lines) if line.startswith(("*Code*", "*Message*"))]
    order += [
        i for i, line in enumerate(lines) if line.startswith(("*RequestId*", ":point_right:"))
    ]
    assert order == sorted(order) and len(order) == 4
    assert lines[-1] == (
        ":point_right: *Next step* Deregister the member from cloudfw.aliyuncs.com first: "
        "`/offboard DeregisterDelegatedAdministrator AccountId=1699461245510000 "
        "ServicePrincipal=cloudfw.aliyuncs.com`, then ask for DeleteAccount again."
    )


def test_no_next_step_line_without_one_or_on_success() -> None:
    assert "Next step" not in text_of(replies.result("DeleteAccount", Status.FAILED, FAILED))
    ok = ExecutionResult(200, None, None, "R", None, {})
    succeeded = replies.result("DeleteAccount", Status.SUCCEEDED, ok, "Do something.")
    assert "Next step" not in text_of(succeeded)


def test_a_next_step_cannot_ping() -> None:
    message = replies.result("DeleteAccount", Status.FAILED, FAILED, "<!channel> & <@U0EVIL01>")
    assert_cannot_ping(message["blocks"])
