"""`offboard-bot demo` runs the story end to end and prints it from the stand-in's records."""

from __future__ import annotations

from bot.devstack.demo import run_demo


def test_demo_tells_the_whole_story() -> None:
    lines: list[str] = []
    assert run_demo(out=lines.append) == 0
    transcript = "\n".join(lines)
    story = [
        "PUBLIC DEMO-ONLY",  # the demo says its step-up secrets are not secrets
        "@bob was enrolled for approval codes",
        "/offboard DeleteAccount AccountId=1699461245510000",
        "(blocked)",  # the pre-check on the first card
        "The member is a delegated administrator of",
        "(only alice sees this)",
        "You asked for this",
        "window for bob · Approve with a code",  # approving asks for a code
        "*Digest*",
        "bob: types",
        "the approval is recorded with its code",
        "RemoveConfilctAccountAsDelegatedAdministator",
        "DEREGISTERDELEGATEDADMINISTRATOR: SUCCEEDED",
        "RELIEVEACCOUNTRELATION: SUCCEEDED",
        "Deletion is allowed.",
        "status: *Deletion deleting.*",
        "DELETEACCOUNT: SUCCEEDED",
        # The member plan: the card with every step, both gates with codes, Success.
        "/offboard member AccountId=1734100000000001",
        "plan card PL-",
        "1. DetachHostAccountsFromUser",
        "6. RelieveAccountRelation",
        "[ Approve gate 1 ]",
        "You are approving `MemberPlanGate1`",
        "You are approving `MemberPlanGate2`",
        "thread under plan PL-",
        "DeregisterDelegatedAdministrator*: *DONE*",
        "Fresh deletion check: *AllowDelete* true",
        "deletion status says Success",
        "ended: *SUCCEEDED*",
        "Outcomes: FAILED, SUCCEEDED, SUCCEEDED, SUCCEEDED, SUCCEEDED",
    ]
    position = 0
    for words in story:
        found = transcript.find(words, position)
        assert found >= 0, f"{words!r} missing (or out of order) in the transcript"
        position = found
    assert "[ Approve ]" in transcript  # a pending card shows its buttons
