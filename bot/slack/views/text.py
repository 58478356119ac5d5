"""Text helpers shared by every Block Kit surface: escaping, mentions, limits.

Slack's rule (https://api.slack.com/reference/surfaces/formatting#escaping): ``&``, ``<``
and ``>`` are control characters and must be sent as ``&amp;``, ``&lt;`` and ``&gt;``;
nothing else is HTML-encoded. ``verbatim: true`` does *not* stop manual ``<!channel>`` or
``<@U…>`` sequences, so escaping is the control. Every piece of text that did not come
from our own source code (parameters, reasons, cloud Codes and Messages) goes through
:func:`escape` before it is put into mrkdwn, and mentions are only ever built from ids
that look like Slack user ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

ELLIPSIS = "…"

# Block Kit limits we render against (https://api.slack.com/reference/block-kit).
MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_MODAL_TITLE = 24
MAX_ID = 255
MAX_PRIVATE_METADATA = 3000
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30
MAX_CONTEXT_ELEMENTS = 10

# A Recommend link is cloud text: only a plain https URL becomes a link (no ``|`` or
# ``>`` that could relabel it), anything else is shown escaped.
SAFE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*)?$")

# "IDs may start with W" (https://api.slack.com/changelog/2016-08-11-user-id-format-changes).
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")
# A backtick next to another one, or at either end (where our own fence or span mark
# will be put right beside it).
_BACKTICKS = re.compile(r"(?<=`)(?=`)|^(?=`)|(?<=`)$")


def escape(text: str) -> str:
    """Escape ``& < >`` so user text can never form a mention, link or broadcast."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Return ``text`` cut to at most ``limit`` characters, ending with an ellipsis if cut.

    Safe on escaped text: it never cuts an ``&amp;``/``&lt;``/``&gt;`` entity in half
    (a half entity such as ``&l`` would render as garbage).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    head = _ENTITY_TAIL.sub("", head)
    return head + ELLIPSIS


def split_escaped(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Escaped ``text`` in pieces of at most ``limit`` characters, losing nothing.

    For text that must be shown in full (it quotes parameter values): no piece ends in
    half an ``&amp;``/``&lt;``/``&gt;`` entity, and joined they give ``text`` back.
    """
    if limit < len("&amp;"):
        raise ValueError("limit must hold an entity")
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        end = start + limit
        entity = _ENTITY_TAIL.search(text, start, end)
        pieces.append(text[start : entity.start() if entity else end])
        start += len(pieces[-1])
    pieces.append(text[start:])
    return pieces


def mrkdwn_safe(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    """Escape user text for mrkdwn and fit it into ``limit`` characters."""
    return truncate(escape(text), limit)


def code(text: str) -> str:
    """Escaped text for inside a ``` or ` span.

    A run of backticks in the value (or one at its edge, beside our own fence) would close
    the span and let the rest be parsed as formatting, so a zero-width space separates
    them. Nothing the catalog accepts contains backticks; this only defends the display.
    """
    return _BACKTICKS.sub("\u200b", escape(text))


def is_user_id(value: str) -> bool:
    """True when ``value`` has the shape of a Slack user id (``U…`` or ``W…``)."""
    return bool(_USER_ID.fullmatch(value))


def mention(user_id: str) -> str:
    """``<@U…>`` for a valid user id; anything else is shown escaped, never as a mention."""
    if is_user_id(user_id):
        return f"<@{user_id}>"
    return f"`{code(user_id)}` (not a Slack user id)"


def mentions(user_ids: Iterable[str], *, empty: str = "nobody") -> str:
    """Comma-separated mentions, or ``empty`` when there are none."""
    return ", ".join(mention(user_id) for user_id in user_ids) or empty


def slack_date(when: datetime) -> str:
    """A date Slack renders in each reader's time zone, with a UTC fallback.

    ``<!date^…>`` is one of Slack's own control sequences
    (https://api.slack.com/reference/surfaces/formatting#date-formatting); it is built
    here from a number and a fixed token string, never from user text.
    """
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def plain_text(text: str, limit: int, *, user_text: bool = False) -> dict[str, Any]:
    """A ``plain_text`` object fitted to ``limit``.

    Slack does not document whether ``<!channel>`` is processed inside plain_text, so
    ``user_text=True`` escapes it as well: the worst case is a visible ``&lt;``.
    """
    body = mrkdwn_safe(text, limit) if user_text else truncate(text, limit)
    return {"type": "plain_text", "text": body or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """A ``mrkdwn`` object for text that is already escaped and fitted.

    ``verbatim: true`` stops Slack from auto-linking bare URLs and ``#channel`` names in
    user text (formatting#automatic-parsing); escaping handles the manual ``<…>`` forms.
    """
    return {"type": "mrkdwn", "text": text or " ", "verbatim": True}


def section(text: str) -> dict[str, Any]:
    """A section block with already-escaped mrkdwn, cut to the 3000-character limit."""
    return {"type": "section", "text": mrkdwn(truncate(text, MAX_SECTION_TEXT))}


def context(*texts: str) -> dict[str, Any]:
    """A context block of already-escaped mrkdwn elements (at most 10)."""
    elements = [mrkdwn(truncate(text, MAX_SECTION_TEXT)) for text in texts if text]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS] or [mrkdwn(" ")]}


def chunks(lines: Sequence[str]) -> list[str]:
    """Group lines into paragraphs under the 3000-character section limit."""
    found: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, MAX_SECTION_TEXT)
        if current and len(current) + 1 + len(line) > MAX_SECTION_TEXT:
            found.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        found.append(current)
    return found
