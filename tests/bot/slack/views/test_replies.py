"""bot.slack.views.replies: thread replies, DMs, ephemeral and help texts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.execution.reconcile import unknown_outcome
from bot.slack.views import guide, replies, summaries
from bot.slack.views.card import CardModel
from bot.slack.views.text import escape
from commands.catalog import get_spec
from storage.records import ExecutionResult
from storage.states import Status
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping, check_message_blocks, texts

DELETE = get_spec("DeleteAccount")
ALICE, BOB, REQ = "U0ALICE1", "U0BOB002", "U0REQUEST"
HOSTILE = "<!channel> <@U0EVIL01> <https://evil.example|login> & stuff"
CREATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

MODEL = CardModel(
    request_id="req-1",
    action="DeleteAccount",
    product="ResourceManager",
    version="2020-03-31",
    endpoint="https://resourcemanager.aliyuncs.com",
    params={"AccountId": "1699461245510000"},
    summary="Delete member account 1699461245510000",
    danger="Irreversible.",
    requester=REQ,
    reason="leaver",
    status="SUCCEEDED",
    required=2,
    created_at=CREATED,
    expires_at=CREATED + timedelta(days=1),
    approvals=(ALICE, BOB),
    result_summary="Code OK · RequestId 7A1B",
)

DETACH_BODY = {
    "RequestId": "EC9BF0F4-8983-491A-BC8C-1B4DD94976DE",
    "Results": [
        {
            "Code": "OK",
            "HostId": "1",
            "UserId": "1",
            "HostAccounts": [
                {"Code": "OK", "HostAccountId": "1"},
                {"Code": "OBJECT_NOT_FOUND", "HostAccountId": "9"},
            ],
        },
        {"Code": "OK", "HostId": "2", "UserId": "1", "HostAccounts": []},
    ],
}


def body(message: replies.SlackMessage) -> str:
    check_message_blocks(message["blocks"])
    assert message["text"]
    return "\n".join(texts(message["blocks"]))


def ok_result(**changes: Any) -> ExecutionResult:
    base = ExecutionResult(200, None, None, "7A1B-REQ", None, {"RequestId": "7A1B-REQ"})
    return dataclasses.replace(base, **changes)


def test_decided_names_the_actor_and_the_tally() -> None:
    text = body(replies.decided(ALICE, "approve", approvals=[ALICE], rejections=[], required=2))
    assert f"<@{ALICE}> :+1: approved. Now 1 of 2 approvals." in text
    text = body(replies.decided(BOB, "reject", approvals=[ALICE], rejections=[BOB], required=2))
    assert f"<@{BOB}> :no_entry_sign: rejected" in text and f"rejected by <@{BOB}>" in text


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: replies.approved([ALICE, BOB], 2), f"Approved by <@{ALICE}>, <@{BOB}> (2 of 2)"),
        (lambda: replies.rejected(BOB), f"Rejected by <@{BOB}>. Nothing was called."),
        (lambda: replies.cancelled(REQ), f"Cancelled by <@{REQ}>. Nothing was called."),
        (lambda: replies.expired(), "Expired without enough approvals"),
        (lambda: replies.expired("execution"), "did not start within the execution window"),
        (lambda: replies.executing("DeleteAccount", "https://x"), "Calling `DeleteAccount`"),
        (
            lambda: replies.progress("DeleteAccount", "Deleting", ["step 1"]),
            "status: *Deleting*\n• step 1",
        ),
        (
            lambda: replies.unknown(
                "DeleteAccount",
                unknown_outcome(DELETE, {"AccountId": "1"}, "read timeout").message,
            ),
            "is unknown: read timeout It was not sent again. Run GetAccountDeletionStatus",
        ),
        (
            lambda: replies.reconciled("DeleteAccount", "SUCCEEDED", "member is gone"),
            "Reconciled `DeleteAccount` after a restart",
        ),
    ],
)
def test_event_replies(make: Callable[[], replies.SlackMessage], words: str) -> None:
    assert words in body(make())


def test_success_result_names_code_message_requestid_and_http_status() -> None:
    text = body(
        replies.result("DeleteAccount", Status.SUCCEEDED, ok_result(code="OK", message="done"))
    )
    assert ":white_check_mark: Succeeded: `DeleteAccount`" in text
    assert "*Code* `OK` · *HTTP status* 200" in text
    assert "*Message* done" in text
    assert "*RequestId* `7A1B-REQ`" in text
    assert "Recommend" not in text


def test_success_without_code_or_message_shows_a_dash() -> None:
    text = body(replies.result("DeleteAccount", Status.SUCCEEDED, ok_result()))
    assert "*Code* `—`" in text
    assert "*Message* —" in text


def test_failed_result_has_the_recommend_link() -> None:
    failed = ExecutionResult(
        409,
        "EntityNotExists.Account",
        "The account does not exist.",
        "F00D",
        "https://api.aliyun.com/troubleshoot?q=EntityNotExists.Account&product=x",
        {},
    )
    text = body(replies.result("DeleteAccount", Status.FAILED, failed))
    assert ":x: Failed" in text and "HTTP status* 409" in text
    assert "`EntityNotExists.Account`" in text and "The account does not exist." in text
    assert "<https://api.aliyun.com/troubleshoot?q=EntityNotExists.Account&amp;product=x|" in text


def test_hostile_cloud_text_is_escaped_and_a_forged_recommend_is_not_a_link() -> None:
    failed = ExecutionResult(400, HOSTILE, HOSTILE, HOSTILE, "https://evil.example|click>", {})
    message = replies.result("DeleteAccount", Status.FAILED, failed)
    body(message)
    assert_cannot_ping(message["blocks"])
    assert_cannot_ping(message["text"])


def detach_reply(result: ExecutionResult, *, partial: bool = False) -> str:
    """The reply as rendering builds it: items read by the spec's quirks."""
    read = get_spec("DetachHostAccountsFromUser").quirks.items
    assert read is not None
    outcome = Status.PARTIAL if partial else Status.SUCCEEDED
    message = replies.result(
        "DetachHostAccountsFromUser", outcome, result, items=read(result.body or {})
    )
    return body(message)


def test_detach_result_shows_each_host_and_host_account_code() -> None:
    text = detach_reply(ok_result(code="OK", body=DETACH_BODY), partial=True)
    assert ":warning: Partly failed" in text
    assert "• Host `1`: `OK` — accounts `1` `OK`, `9` `OBJECT_NOT_FOUND`" in text
    assert "• Host `2`: `OK`" in text


def test_detach_result_all_ok_is_a_success() -> None:
    clean = {"Results": [{"Code": "OK", "HostId": "1", "HostAccounts": [{"Code": "OK"}]}]}
    text = detach_reply(ok_result(body=clean))
    assert ":white_check_mark: Succeeded" in text


def test_detach_result_without_results_says_so() -> None:
    assert "No per-item results" in detach_reply(ok_result(body={}))


def test_large_detach_result_stays_within_limits() -> None:
    hosts = [
        {
            "Code": "OK",
            "HostId": str(h),
            "HostAccounts": [{"Code": "OK", "HostAccountId": f"{h}{a:03}"} for a in range(10)],
        }
        for h in range(200)
    ]
    assert "• Host `199`" in detach_reply(ok_result(body={"Results": hosts}))


def test_requester_dm_tells_the_outcome() -> None:
    text = body(summaries.requester_dm(MODEL, "https://example.slack.com/archives/C1/p1"))
    assert "Your request `req-1` (Delete member account 1699461245510000)" in text
    assert "Done: the call succeeded" in text and "Code OK · RequestId 7A1B" in text
    assert "<https://example.slack.com/archives/C1/p1|Open the approval card>" in text
    assert "Open the approval card" not in body(summaries.requester_dm(MODEL, "javascript:x"))


@pytest.mark.parametrize("reply", [summaries.requester_dm, summaries.status_text])
def test_a_summary_quoting_many_parameters_is_never_cut(
    reply: Callable[[CardModel], replies.SlackMessage],
) -> None:
    checks = ", ".join(f"NON_SP_check_{i:04}&" for i in range(400))
    model = dataclasses.replace(MODEL, summary=f"Delete member 1699461245510000 ({checks})")
    message = reply(model)
    check_message_blocks(message["blocks"])
    shown = "".join(texts(message["blocks"]))
    assert "NON_SP_check_0399&amp;)" in shown and "…" not in shown
    assert escape(model.summary) in shown.replace("\n", "")


def test_refusal_is_escaped_and_says_nothing_changed() -> None:
    text = replies.refusal(f"You asked for this yourself {HOSTILE}")
    assert text.endswith("Nothing was changed.")
    assert_cannot_ping(text)


def test_help_usage_status_and_list() -> None:
    assert "/offboard status ID" in body(guide.help_text())
    usage = guide.usage("Unknown operation `<!here>`.")
    assert "Unknown operation" in body(usage)
    assert_cannot_ping(usage["blocks"])
    status = body(summaries.status_text(MODEL))
    assert "`req-1` · `DeleteAccount`" in status and "*2 of 2 approvals*" in status
    assert "No requests are waiting" in body(summaries.pending_list([]))
    pending = [dataclasses.replace(MODEL, request_id=f"r{i}", status="PENDING") for i in range(3)]
    listing = body(summaries.pending_list(pending))
    assert "*3 pending*" in listing and "`r2` `DeleteAccount`" in listing


def test_hostile_values_in_every_model_reply_cannot_ping() -> None:
    hostile = dataclasses.replace(
        MODEL,
        summary=HOSTILE,
        request_id=HOSTILE,
        result_summary=HOSTILE,
        requester="<!channel>",
        approvals=(ALICE, "<!here>"),
    )
    for message in (
        summaries.requester_dm(hostile, HOSTILE),
        summaries.status_text(hostile),
        summaries.pending_list([hostile] * 60),
        replies.decided("<!channel>", "approve", approvals=["<!here>"], rejections=[], required=2),
        replies.progress(HOSTILE, HOSTILE, [HOSTILE]),
        replies.unknown(HOSTILE, HOSTILE),
        replies.executing(HOSTILE, HOSTILE),
        replies.reconciled(HOSTILE, HOSTILE, HOSTILE),
        guide.usage(HOSTILE),
    ):
        check_message_blocks(message["blocks"])
        assert_cannot_ping(message["blocks"], allowed_mentions={ALICE})
        assert_cannot_ping(message["text"], allowed_mentions={ALICE})


_ATOMS = st.sampled_from(["<!channel>", "<@U0EVIL01>", "<https://e.x|y>", "&", "`", "|", ">"])
_TEXT = st.lists(st.one_of(_ATOMS, st.text(max_size=20)), max_size=6).map("".join)
_MAYBE = st.one_of(st.none(), _TEXT)


@settings(max_examples=80, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=599),
    fields=st.tuples(_MAYBE, _MAYBE, _MAYBE, _MAYBE),
    hosts=st.lists(
        st.fixed_dictionaries(
            {"Code": _MAYBE, "HostId": _MAYBE},
            optional={"HostAccounts": st.lists(st.fixed_dictionaries({"Code": _MAYBE}))},
        ),
        max_size=5,
    ),
)
def test_any_cloud_answer_gives_a_valid_reply_that_cannot_ping(
    status: int, fields: tuple[str | None, ...], hosts: list[dict[str, Any]]
) -> None:
    code, message, request_id, recommend = fields
    answer = ExecutionResult(status, code, message, request_id, recommend, {"Results": hosts})
    outcome = Status.SUCCEEDED if 200 <= status < 300 else Status.FAILED
    reply = replies.result("DetachHostAccountsFromUser", outcome, answer)
    text = body(reply)
    assert f"*HTTP status* {status}" in text
    assert_cannot_ping(reply["blocks"])
    assert_cannot_ping(reply["text"])
