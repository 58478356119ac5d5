"""bot.slack.views.text: escaping, mentions, truncation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.views import text
from tests.bot.slack.views.blockkit_checks import assert_cannot_ping

HOSTILE = [
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<!subteam^S0123ABC>",
    "<@U0123ABCD>",
    "<#C0123ABCD>",
    "<https://evil.example|click me>",
    "a & b < c > d",
    "&lt;!channel&gt;",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escape_neutralises_every_control_sequence(hostile: str) -> None:
    escaped = text.escape(hostile)
    assert "<" not in escaped and ">" not in escaped
    assert_cannot_ping(escaped)


def test_escape_is_slacks_three_characters_only() -> None:
    # "Don't HTML-encode the rest of the text" (formatting#escaping).
    assert text.escape("a&b<c>d \"q\" 'x' *bold*") == "a&amp;b&lt;c&gt;d \"q\" 'x' *bold*"


def test_escape_escapes_existing_entities_again() -> None:
    # A user who types "&lt;" must see "&lt;", not "<".
    assert text.escape("&lt;") == "&amp;lt;"


@given(st.text())
def test_escaped_text_has_no_raw_angle_brackets_and_only_our_entities(raw: str) -> None:
    escaped = text.escape(raw)
    assert "<" not in escaped and ">" not in escaped
    assert re.sub(r"&(amp|lt|gt);", "", escaped).count("&") == 0
    unescaped = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == raw


@given(st.text(alphabet="ab&<>", max_size=60), st.integers(min_value=1, max_value=40))
def test_truncate_fits_and_never_splits_an_entity(raw: str, limit: int) -> None:
    out = text.truncate(text.escape(raw), limit)
    assert len(out) <= limit
    body = out.removesuffix(text.ELLIPSIS)
    # Every "&" left starts a whole entity.
    assert re.sub(r"&(amp|lt|gt);", "", body).count("&") == 0


def test_truncate_keeps_short_text_and_marks_cut_text() -> None:
    assert text.truncate("abc", 3) == "abc"
    assert text.truncate("abcdef", 4) == "abc…"
    assert text.truncate("ab&amp;cd", 6) == "ab…"
    with pytest.raises(ValueError):
        text.truncate("abc", 0)


@pytest.mark.parametrize("user_id", ["U0123ABCD", "W0123ABCD", "U12"])
def test_mention_of_valid_ids(user_id: str) -> None:
    assert text.mention(user_id) == f"<@{user_id}>"


@pytest.mark.parametrize(
    "bogus", ["", "U1", "u0123abcd", "C0123ABCD", "U0123>|<!channel", "U0123 ABC", "!here", "S0123"]
)
def test_mention_of_anything_else_is_inert_text(bogus: str) -> None:
    out = text.mention(bogus)
    assert "<@" not in out and "<!" not in out
    assert_cannot_ping(out)


def test_mentions_joins_and_says_nobody() -> None:
    assert text.mentions(["U1AA", "W2BB"]) == "<@U1AA>, <@W2BB>"
    assert text.mentions([]) == "nobody"


@pytest.mark.parametrize("raw", ["a```b", "`a", "a`", "``", "```"])
def test_code_keeps_backticks_apart_and_off_the_edges(raw: str) -> None:
    out = text.code(raw)
    assert "``" not in f"`{out}`"  # inside our own span or fence marks
    assert out.replace("\u200b", "") == raw


def test_code_escapes_and_leaves_plain_values_alone() -> None:
    assert text.code("x<y") == "x&lt;y"
    assert text.code("1699461245510000") == "1699461245510000"


def test_slack_date_is_a_date_token_with_utc_fallback() -> None:
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert text.slack_date(when) == (
        f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|2026-01-02 03:04 UTC>"
    )


def test_plain_text_escapes_user_text_only_when_asked_and_fits() -> None:
    assert text.plain_text("<b>", 10)["text"] == "<b>"
    assert text.plain_text("<!here>", 10, user_text=True)["text"] == "&lt;!here…"
    assert text.plain_text("", 10)["text"] == " "  # Slack refuses an empty text


def test_section_and_context_respect_limits() -> None:
    assert len(text.section("x" * 5000)["text"]["text"]) == 3000
    block = text.context(*(f"t{i}" for i in range(12)), "")
    assert len(block["elements"]) == 10
