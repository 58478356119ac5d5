"""Thread replies of the gate: a request refused as tampered, and a late answer's correction."""

from __future__ import annotations

from bot.slack.views import replies
from storage.records import ExecutionResult
from storage.states import Status
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping, check_message_blocks, texts

HOSTILE = "<!channel> <@U0EVIL01> <https://evil.example|login> & stuff"


def body(message: replies.SlackMessage) -> str:
    check_message_blocks(message["blocks"])
    assert message["text"]
    return "\n".join(texts(message["blocks"]))


def test_tampered_says_nothing_was_called_and_escapes_what_was_found() -> None:
    message = replies.tampered(f"It was marked APPROVED, but... (not counted: {HOSTILE})")
    text = body(message)
    assert "treated as tampered" in text and "did not make the call" in text
    assert "audit verify" in text
    assert_cannot_ping(message["blocks"])
    assert_cannot_ping(message["text"])


def test_a_correction_names_code_message_and_request_id() -> None:
    late = ExecutionResult(200, "OK", "done", "RID-LATE-1", None, {"RequestId": "RID-LATE-1"})
    text = body(
        replies.correction("DetachHostAccountsFromUser", Status.UNKNOWN, Status.SUCCEEDED, late)
    )
    assert "the earlier UNKNOWN was wrong: the call did succeed" in text
    for part in ("*Code* `OK`", "*Message* done", "*RequestId* `RID-LATE-1`"):
        assert part in text
    failed = ExecutionResult(409, "Conflict", "no", "RID-2", None, {})
    assert "the call did fail" in body(
        replies.correction("DeleteAccount", Status.UNKNOWN, Status.FAILED, failed)
    )
    confirmed = body(replies.correction("DeleteAccount", Status.SUCCEEDED, Status.SUCCEEDED, late))
    assert "A late answer confirms the earlier SUCCEEDED" in confirmed
    assert "A late answer came in" in body(
        replies.correction("DeleteAccount", None, Status.SUCCEEDED, late)
    )


def test_a_correction_escapes_the_cloud_s_words() -> None:
    hostile = ExecutionResult(400, HOSTILE, HOSTILE, HOSTILE, None, {})
    message = replies.correction("DeleteAccount", Status.UNKNOWN, Status.FAILED, hostile)
    assert_cannot_ping(message["blocks"])
