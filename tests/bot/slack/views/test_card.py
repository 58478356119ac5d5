"""bot.slack.views.card: the approval card in each state."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.views.card import STATUS_LINES, TITLES, CardModel, Finding, build_card
from storage.states import Status
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping, check_message_blocks, texts

REQUESTER, ALICE, BOB = "U0REQUEST", "U0ALICE1", "W0BOB002"
CREATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> <!here> <@U0EVIL01> <https://evil.example|login> & `code` *bold*"

BASE = CardModel(
    request_id="req-7f3c",
    action="DeleteAccount",
    product="ResourceManager",
    version="2020-03-31",
    endpoint="https://resourcemanager.aliyuncs.com",
    params={"AccountId": "1699461245510000", "AbandonableCheckId": '["NON_SP_cs"]'},
    summary="Delete member account 1699461245510000",
    danger="Deletes the member and all its data; it cannot be recovered.",
    requester=REQUESTER,
    reason="Leaver, ticket OPS-42",
    status="PENDING",
    required=2,
    created_at=CREATED,
    expires_at=CREATED + timedelta(days=1),
    findings=(
        Finding("Deletion check (CheckAccountDelete)", "blocked", ("Delegated administrator",)),
        Finding("Abandonable checks", "warning", ("NON_SP_cs: cloud service",)),
    ),
)


def card(**changes: Any) -> tuple[list[dict[str, Any]], str]:
    blocks, text = build_card(dataclasses.replace(BASE, **changes))
    check_message_blocks(blocks)
    return blocks, text


def rendered(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(blocks))


def actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == "actions"]


def test_pending_card_shows_everything_an_approver_needs() -> None:
    blocks, fallback = card()
    body = rendered(blocks)
    for expected in [
        "DeleteAccount",
        "ResourceManager",
        "`2020-03-31`",
        "`https://resourcemanager.aliyuncs.com`",
        f"<@{REQUESTER}>",
        "Leaver, ticket OPS-42",
        "it cannot be recovered",
        "*Parameters, exactly as they will be signed*",
        "AccountId=1699461245510000",
        'AbandonableCheckId=["NON_SP_cs"]',
        ":no_entry: *Deletion check (CheckAccountDelete)* (blocked)",
        "• Delegated administrator",
        ":warning: *Abandonable checks* (warning)",
        "*0 of 2 approvals*",
        "req-7f3c",
    ]:
        assert expected in body, expected
    assert fallback.startswith("Approval needed: DeleteAccount requested by <@U0REQUEST>")


def test_pending_card_has_approve_and_reject_with_the_request_id_and_confirms() -> None:
    [block] = actions(card()[0])
    approve, reject = block["elements"]
    assert (approve["action_id"], approve["style"], approve["value"]) == (
        "approve",
        "primary",
        "req-7f3c",
    )
    assert (reject["action_id"], reject["style"], reject["value"]) == (
        "reject",
        "danger",
        "req-7f3c",
    )
    for button in (approve, reject):
        assert button["confirm"]["title"]["text"]
        assert "DeleteAccount" in button["confirm"]["text"]["text"]


def test_actions_block_id_changes_with_the_tally() -> None:
    [before] = actions(card()[0])
    [after] = actions(card(approvals=(ALICE,))[0])
    assert before["block_id"] != after["block_id"]


def test_tally_names_who_approved_and_rejected() -> None:
    body = rendered(card(approvals=(ALICE,), rejections=(BOB,))[0])
    assert f"*1 of 2 approvals* · approved by <@{ALICE}> · rejected by <@{BOB}>" in body


@pytest.mark.parametrize("status", sorted(set(STATUS_LINES) - {"PENDING"}))
def test_final_and_later_states_have_no_buttons_and_a_status_line(status: str) -> None:
    blocks, fallback = card(
        status=status, approvals=(ALICE, BOB), result_summary="Code OK, RequestId ABC"
    )
    assert not actions(blocks)
    assert not any(e.get("type") == "button" for b in blocks for e in b.get("elements", []))
    last = blocks[-1]["text"]["text"]
    assert STATUS_LINES[status] in last and "Code OK, RequestId ABC" in last
    assert fallback.startswith(status.capitalize())
    assert "expires" not in rendered(blocks)
    heading = {
        "APPROVED": "exactly as they will be signed",
        "EXECUTING": "exactly as signed",
        "SUCCEEDED": "exactly as signed",
        "PARTIAL": "exactly as signed",
        "FAILED": "exactly as signed",
        "UNKNOWN": "exactly as signed",
    }.get(status, "as requested")  # rejected, expired, cancelled, tampered: never sent
    assert f"*Parameters, {heading}*" in rendered(blocks)


def test_every_status_has_its_own_line_and_title() -> None:
    # Keyed by the one Status enum: a state added there without words here fails.
    assert set(STATUS_LINES) == set(Status) == set(TITLES)
    assert len(set(STATUS_LINES.values())) == len(Status)
    for status in Status:
        blocks, _ = card(status=status)
        assert blocks[0]["text"]["text"] == f"DeleteAccount: {TITLES[status]}"


def test_rejected_card_names_who_decided() -> None:
    blocks, _ = card(status="REJECTED", rejections=(BOB,), decided_by=BOB)
    assert f"({'<@' + BOB + '>'})" in blocks[-1]["text"]["text"]


def test_hostile_text_everywhere_cannot_ping_or_forge() -> None:
    blocks, fallback = card(
        params={"ChildNick": HOSTILE, HOSTILE: "x"},
        summary=HOSTILE,
        danger=HOSTILE,
        reason=HOSTILE + "\nsecond line <!everyone>",
        endpoint=HOSTILE,
        product=HOSTILE,
        request_id=HOSTILE,
        findings=(Finding(HOSTILE, "error", (HOSTILE,)),),
        approvals=("U0ALICE1", "<!channel>"),
        requester="U0REQ>|<!here",
    )
    allowed = {"U0ALICE1"}
    assert_cannot_ping(blocks, allowed_mentions=allowed)
    assert_cannot_ping(fallback, allowed_mentions=allowed)
    # The parameters are still all shown, escaped rather than dropped.
    assert "ChildNick=&lt;!channel&gt;" in rendered(blocks)
    # No link_names/parse anywhere: nothing asks Slack to link names for us.
    assert "link_names" not in json.dumps(blocks)


def test_an_unknown_status_is_shown_escaped_without_buttons() -> None:
    blocks, fallback = card(status="WEIRD<!here>")
    assert not actions(blocks)
    assert fallback.startswith("Weird&lt;!here&gt;: ")
    assert "Status: WEIRD&lt;!here&gt;" in blocks[-1]["text"]["text"]


def test_an_unexpected_finding_status_is_escaped() -> None:
    odd = Finding("check", "ok", ())
    object.__setattr__(odd, "status", "<!channel>")  # what a bad stored value could hold
    blocks, _ = card(findings=(odd,))
    assert_cannot_ping(blocks, allowed_mentions={REQUESTER})
    assert ":grey_question: *check* (&lt;!channel&gt;)" in rendered(blocks)


def test_backticks_in_a_parameter_cannot_close_the_preformatted_block() -> None:
    body = rendered(card(params={"ChildNick": "a```*bold*```b"})[0])
    assert "a```" not in body


def test_long_parameters_are_split_across_sections_not_dropped() -> None:
    params = {f"P{i:02}": "9" * 200 for i in range(40)}
    blocks, _ = card(params=params)
    body = rendered(blocks)
    for name, value in params.items():
        assert f"{name}={value}" in body


def test_parameters_too_long_to_show_take_the_approve_button_away() -> None:
    # Stored before the modal refused such requests: the card must not cut them, nor
    # offer an approval of what nobody can read.
    params = {f"P{i:03}": "9" * 2900 for i in range(60)}
    findings = tuple(Finding(f"check {i}", "ok") for i in range(60))
    blocks, _ = card(params=params, findings=findings)
    assert len(blocks) == 50
    (buttons,) = actions(blocks)
    assert [e["action_id"] for e in buttons["elements"]] == ["reject"]
    body = rendered(blocks)
    assert "too long to show in full" in body and "*Pre-checks*" in body
    assert "9" * 100 not in body


def test_a_long_summary_says_where_the_full_values_are() -> None:
    summary = "Delete member account 1699461245510000 (abandoning checks " + "NON_SP_x, " * 200
    blocks, fallback = card(summary=summary)
    body = rendered(blocks)
    assert "shortened here: every parameter is on the card in full" in body
    assert "shortened here" in fallback
    # The confirm dialog holds 300 characters: it points at the card, not at a cut list.
    confirm = actions(blocks)[0]["elements"][0]["confirm"]["text"]["text"]
    assert confirm.startswith("Approve DeleteAccount with the parameters shown on this card")
    assert "…" not in confirm


def test_many_findings_are_capped_so_the_buttons_survive() -> None:
    findings = tuple(Finding(f"check {i}", "ok", ("fine",) * 20) for i in range(80))
    blocks, _ = card(findings=findings)
    assert len(blocks) == 50
    assert actions(blocks)
    body = rendered(blocks)
    assert "more pre-check results_" in body
    assert "…and 12 more_" in body  # detail lines beyond 8 per finding


def test_no_findings_says_so() -> None:
    assert "No pre-checks for this operation" in rendered(card(findings=())[0])


def test_card_without_parameters_or_danger_still_renders() -> None:
    blocks, _ = card(params={}, danger="", reason="", endpoint="")
    body = rendered(blocks)
    assert "_none_" in body and "_no reason given_" in body
    assert "*Endpoint* _not known yet_" in body
    assert "Why this is dangerous" not in body


_ATOMS = st.sampled_from(
    ["<!channel>", "<!here>", "<@U0EVIL01>", "<#C0123>", "<https://e.x|y>", "&", "`", "*", "\n"]
)
_TEXT = st.lists(st.one_of(_ATOMS, st.text(max_size=30)), max_size=8).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    summary=_TEXT,
    reason=_TEXT,
    params=st.dictionaries(_TEXT, _TEXT, max_size=6),
    details=st.lists(_TEXT, max_size=12),
    status=st.sampled_from([*STATUS_LINES, "WEIRD<!here>"]),
    approvals=st.lists(st.one_of(st.just(ALICE), _TEXT), max_size=3),
)
def test_any_text_gives_a_valid_card_that_cannot_ping(
    summary: str,
    reason: str,
    params: dict[str, str],
    details: list[str],
    status: str,
    approvals: list[str],
) -> None:
    blocks, fallback = card(
        summary=summary,
        reason=reason,
        params=params,
        danger=summary,
        status=status,
        approvals=tuple(approvals),
        findings=(Finding(summary, "error", tuple(details)),),
    )
    assert_cannot_ping(blocks, allowed_mentions={REQUESTER, ALICE})
    assert_cannot_ping(fallback, allowed_mentions={REQUESTER, ALICE})
    assert bool(actions(blocks)) is (status == "PENDING")
