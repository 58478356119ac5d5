"""The Home tab view: Block Kit within a Home tab's limits, the card's buttons, escaping,
and no Approve where the call cannot be shown in full."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.views.home import MAX_WAITING, HomeModel, build_home
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping, check_modal, texts
from tests.bot.slack.views.test_card import BASE


def check_home(view: dict[str, Any]) -> None:
    # A Home tab is a view like a modal (100 blocks, unique block ids), without a title.
    assert view["type"] == "home"
    check_modal({**view})


def actions(view: dict[str, Any]) -> list[list[tuple[str, str]]]:
    return [
        [(e["action_id"], e["value"]) for e in b["elements"]]
        for b in view["blocks"]
        if b["type"] == "actions"
    ]


def test_a_full_tab_stays_within_a_home_tabs_100_blocks() -> None:
    waiting = [replace(BASE, request_id=f"req-{n}") for n in range(MAX_WAITING + 7)]
    finished = replace(BASE, status="SUCCEEDED", result_summary="SUCCEEDED: Code OK")
    view = build_home(
        HomeModel("U0BOB", waiting=waiting, mine=[BASE] * 10, outcomes=[finished] * 10)
    )
    check_home(view)
    assert len(actions(view)) == MAX_WAITING
    assert actions(view)[0] == [("approve", "req-0"), ("reject", "req-0")]
    assert "7 more wait for you" in "".join(texts(view))


def test_a_call_too_long_to_show_can_only_be_rejected_here() -> None:
    long = replace(BASE, params={f"P{n}": "x" * 90 for n in range(30)})
    view = build_home(HomeModel("U0BOB", waiting=[long, BASE]))
    assert actions(view) == [
        [("reject", BASE.request_id)],
        [("approve", BASE.request_id), ("reject", BASE.request_id)],
    ]
    assert "approve on the card" in "".join(texts(view))


def test_a_refusal_shows_no_request() -> None:
    view = build_home(HomeModel("U0X", waiting=[BASE], refusal="Only approvers <!here>."))
    check_home(view)
    assert actions(view) == [] and BASE.request_id not in str(view)
    assert_cannot_ping(view)


@given(st.text(max_size=400), st.text(max_size=400), st.text(max_size=200))
def test_no_user_text_can_ping_or_break_the_tab(reason: str, summary: str, value: str) -> None:
    model = replace(BASE, reason=reason, summary=summary, params={"AccountId": value})
    view = build_home(HomeModel("U0BOB", waiting=[model], mine=[model], outcomes=[model]))
    check_home(view)
    assert_cannot_ping(view, allowed_mentions={BASE.requester})
