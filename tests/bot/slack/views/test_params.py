"""bot.slack.views.params: every signed value on the card in full, or refused at its field.

The attack: a request whose last entries hide past a "…" (a list of checks to abandon, a
value with a line break that fakes a second parameter). Each test reads the card's text
back into ``Name=value`` pairs, the way an approver reads it, and compares with what will
be signed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.slack.views.card import build_card
from bot.slack.views.params import (
    MAX_PARAM_BLOCKS,
    json_visible,
    parameter_problems,
    parameter_sections,
)
from tests.bot.slack.views.blockkit_checks import check_message_blocks, texts
from tests.bot.slack.views.test_card import BASE

_LABEL = re.compile(
    r"^`(?P<name>[^`]*)` part (?P<part>\d+) of (?P<count>\d+)(?P<how>[^\n]*):\n"
    r"```(?P<piece>.*)```$",
    re.DOTALL,
)
_HEADING = re.compile(r"^\*Parameters, [^*\n]+\*\n")


def unescape(text: str) -> str:
    return (
        text.replace("\u200b", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


def shown(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """The parameters as an approver reads them off the card, parts joined."""
    found: dict[str, str] = {}
    parts: list[str] = []
    quoted = False
    for block in blocks:
        text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
        text = _HEADING.sub("", text)
        if text.startswith("```") and text.endswith("```"):
            for line in text[3:-3].split("\n"):
                name, _, value = unescape(line).partition("=")
                found[name] = value
        elif match := _LABEL.match(text):
            if match["part"] == "1":
                quoted = "shown as JSON strings" in match["how"]
            parts.append(unescape(match["piece"]))
            if match["part"] == match["count"]:
                name, _, value = "".join(parts).partition("=")
                if quoted:
                    name, value = json.loads(name), json.loads(value)
                found[name] = value
                parts = []
    return found


def card_for(params: dict[str, str]) -> list[dict[str, Any]]:
    blocks, _ = build_card(dataclasses.replace(BASE, params=params))
    check_message_blocks(blocks)
    return blocks


def approvable(blocks: list[dict[str, Any]]) -> bool:
    return any(
        e["action_id"] == "approve" for b in blocks if b["type"] == "actions" for e in b["elements"]
    )


def test_a_long_list_of_checks_to_abandon_is_shown_to_its_last_entry() -> None:
    checks = [f"NON_SP_check_{i:04}" for i in range(400)]
    params = {"AccountId": "1699461245510000", "AbandonableCheckId": json.dumps(checks)}
    blocks = card_for(params)
    assert shown(blocks) == params
    assert approvable(blocks)
    body = "\n".join(texts(blocks))
    assert "NON_SP_check_0399" in body
    assert re.search(r"`AbandonableCheckId` part (\d) of \1, continued from the part above", body)
    # Cuts fall between entries, so no check id is broken in two.
    assert all(check in body for check in checks)


def test_a_line_break_in_a_value_cannot_fake_a_second_parameter() -> None:
    params = {"ChildNick": "ops\nAccountId=1111111111111111", "AccountId": "1699461245510000"}
    blocks = card_for(params)
    body = "\n".join(texts(blocks))
    assert "\nAccountId=1111111111111111" not in body
    assert '"ops\\nAccountId=1111111111111111"' in body
    assert "shown as JSON strings" in body
    assert shown(blocks) == params


def test_invisible_characters_are_shown_escaped() -> None:
    value = "abc\u202edef\u200bghi\u2028\U000e0001"
    blocks = card_for({"ChildNick": value})
    body = "\n".join(texts(blocks))
    assert "\\u202e" in body and "\\u200b" in body and "\\u2028" in body
    assert "\\udb40\\udc01" in body
    assert "\u202e" not in body and "\u2028" not in body
    assert shown(blocks) == {"ChildNick": value}
    assert json.loads(json_visible(value)) == value


_NAMES = st.from_regex(r"[A-Z][A-Za-z0-9]{0,24}(\.[1-9][0-9]?)?", fullmatch=True)
_ATOMS = st.sampled_from(["&", "<", ">", "`", "```", "&amp;", "\n", "\u202e", "é", "😀", " "])
_SHORT = st.lists(st.one_of(_ATOMS, st.text(max_size=20)), max_size=10).map("".join)
_LONG = st.tuples(_SHORT, st.integers(1, 1500)).map(lambda t: (t[0][:12] or "x") * t[1])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=st.dictionaries(_NAMES, st.one_of(_SHORT, _LONG), max_size=12))
def test_whatever_fits_is_shown_in_full_and_whatever_does_not_is_refused(
    params: dict[str, str],
) -> None:
    problems = parameter_problems(params)
    sections = parameter_sections(params, "exactly as they will be signed")
    assert (sections is None) == bool(problems)
    assume(not problems)
    blocks = card_for(params)
    assert shown(blocks) == params
    assert approvable(blocks)


def test_one_value_too_long_for_any_card_is_refused_at_its_field() -> None:
    params = {"AccountId": "1699461245510000", "AbandonableCheckId": "&" * 30_000}
    problems = parameter_problems(params)
    assert set(problems) == {"AbandonableCheckId"}
    assert f"room for {MAX_PARAM_BLOCKS}" in problems["AbandonableCheckId"]
    assert "3000 characters" in problems["AbandonableCheckId"]
    assert not approvable(card_for(params))


def test_a_request_too_long_as_a_whole_is_refused_at_its_longest_field() -> None:
    params = {f"P{i}": "9" * 2800 for i in range(30)} | {"Long": "8" * 20_000}
    problems = parameter_problems(params)
    assert list(problems) == ["Long"]
    assert problems["Long"].startswith("Together the parameters need")


def test_a_repeated_list_is_refused_at_its_field_not_its_items() -> None:
    params = {f"StatusList.{i}": "R" * 2900 for i in range(1, 60)}
    assert list(parameter_problems(params)) == ["StatusList"]


def test_what_fits_has_no_problems() -> None:
    assert parameter_problems({"AccountId": "1699461245510000"}) == {}
    assert parameter_problems({}) == {}
