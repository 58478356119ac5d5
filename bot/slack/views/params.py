"""The parameters as the card shows them: every value in full, or refused before filing.

Approvers must see exactly what will be signed, so nothing here is ever cut with "…".
Short parameters share a section as ``Name=value`` lines in preformatted text; a value
too long for one section is split across consecutive sections, each labelled with the
parameter and its part number. Slack's limits bound the whole: a section's text is at
most 3000 characters and a message at most 50 blocks
(https://api.slack.com/reference/block-kit/blocks), of which the parameters get
:data:`MAX_PARAM_BLOCKS`; the rest is the card's header, reason, pre-checks and buttons.

:func:`parameter_sections` lays the parameters out (None when they do not fit), and
:func:`parameter_problems` says, per modal field, why they do not, so the modal refuses
them at submission rather than the card cutting them later.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping

from bot.slack.views.text import MAX_SECTION_TEXT, code, escape

# The card's other blocks: header, summary, call, danger, reason, divider, tally, buttons
# (8), and at least 6 for the pre-checks, of Slack's 50 per message.
MAX_PARAM_BLOCKS = 36
FENCE = "```"
_HEADING_ROOM = 80  # "*Parameters, exactly as they will be signed*\n" and the like
_LABEL_ROOM = 200  # "`Name` part 12 of 36, continued from the part above:\n" + fences
# What one character takes once escaped: "&" is "&amp;", a backtick may gain a
# zero-width space beside it, a character beyond the BMP is two UTF-16 units.
_COSTS = {"&": 5, "<": 4, ">": 4, "`": 2}
_BREAK_WINDOW = 100  # how far back a cut may move to fall after a comma or space
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_QUOTED_WHY = "it holds characters that are invisible or break lines"


def slack_length(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units, so never less than ``len``."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def heading(when: str) -> str:
    """The first line of the parameter list, e.g. ``*Parameters, as requested*``."""
    return f"*Parameters, {escape(when)}*\n"


def parameter_sections(params: Mapping[str, str], when: str) -> list[str] | None:
    """The sections' mrkdwn texts, each within 3000 characters; None past the block limit."""
    sections = _layout(params)
    if len(sections) > MAX_PARAM_BLOCKS:
        return None
    if not sections:
        return [heading(when) + "_none_"]
    return [heading(when) + sections[0], *sections[1:]]


def sections_needed(params: Mapping[str, str]) -> int:
    """How many sections the parameters take on the card, laid out in full."""
    return len(_layout(params))


def parameter_problems(params: Mapping[str, str]) -> dict[str, str]:
    """Why these parameters cannot be shown in full on the card, keyed by modal field.

    ``params`` are the serialized parameters exactly as they will be signed; a repeated
    list's ``Name.1``, ``Name.2`` belong to the field ``Name``. Empty when they fit.
    """
    total = sections_needed(params)
    if total <= MAX_PARAM_BLOCKS:
        return {}
    per_field: dict[str, int] = {}
    for name, value in params.items():
        field = name.split(".", 1)[0]
        per_field[field] = per_field.get(field, 0) + len(_layout({name: value}))
    limits = (
        f"the approval card has room for {MAX_PARAM_BLOCKS} (a Slack message holds 50 blocks "
        f"of at most {MAX_SECTION_TEXT} characters)"
    )
    problems = {
        field: (
            f"Too long to show in full to approvers: it needs {needed} sections, and {limits}. "
            "Shorten it or split the request."
        )
        for field, needed in per_field.items()
        if needed > MAX_PARAM_BLOCKS
    }
    if not problems:
        largest = max(per_field, key=lambda field: per_field[field])
        problems[largest] = (
            f"Together the parameters need {total} sections to show in full to approvers, "
            f"and {limits}. Shorten this value or split the request."
        )
    return problems


def _layout(params: Mapping[str, str]) -> list[str]:
    """Every parameter in full: whole lines packed into sections, long values split."""
    budget = MAX_SECTION_TEXT - _HEADING_ROOM
    sections: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            sections.append(FENCE + "\n".join(lines) + FENCE)
            lines.clear()

    for name, value in params.items():
        if _hidden(name) or _hidden(value):
            flush()
            sections.extend(_split_value(json_visible(name), json_visible(value), budget, True))
            continue
        line = f"{code(name)}={code(value)}"
        if slack_length(line) + 2 * len(FENCE) <= budget:
            packed = "\n".join([*lines, line])
            if lines and slack_length(packed) + 2 * len(FENCE) > budget:
                flush()
            lines.append(line)
            continue
        flush()
        sections.extend(_split_value(name, value, budget, False))
    flush()
    return sections


def json_visible(text: str) -> str:
    """``text`` as a JSON string whose invisible and line-breaking characters are escaped.

    Each such character becomes ``\\uXXXX`` (a surrogate pair beyond the BMP), so an
    approver sees it, and a value cannot fake a second ``Name=value`` line.
    """
    out = []
    for char in json.dumps(text, ensure_ascii=False)[1:-1]:
        code_point = ord(char)
        if _is_hidden(char) and code_point > 0xFFFF:
            high, low = divmod(code_point - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
        elif _is_hidden(char):
            out.append(f"\\u{code_point:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _split_value(name: str, value: str, budget: int, quoted: bool) -> list[str]:
    """One value over consecutive sections, each labelled; no character is lost."""
    label = f"`{code(name)}`"
    room = budget - _LABEL_ROOM - slack_length(label)
    pieces = _pieces(f"{name}={value}", room)
    count = len(pieces)
    how = f", shown as JSON strings: {_QUOTED_WHY}" if quoted else ""
    return [
        f"{label} part {index} of {count}"
        + (", continued from the part above" if index > 1 else how)
        + f":\n{FENCE}{code(piece)}{FENCE}"
        for index, piece in enumerate(pieces, start=1)
    ]


def _is_hidden(char: str) -> bool:
    # Cc controls, Cf format characters (bidi overrides, zero-width ones), Cs lone
    # surrogates, Zl/Zp line and paragraph separators: each is invisible or moves text.
    return unicodedata.category(char) in _HIDDEN_CATEGORIES


def _hidden(text: str) -> bool:
    return any(_is_hidden(char) for char in text)


def _pieces(text: str, room: int) -> list[str]:
    """``text`` cut into pieces whose escaped, fenced form fits ``room`` characters.

    A cut falls just after a comma or space near the end of a piece when there is one,
    so list entries are not broken in two.
    """
    costs = [_COSTS.get(char, 1 if char <= "\uffff" else 2) for char in text]
    pieces: list[str] = []
    start, used = 0, 2  # code() may add a zero-width space at either edge of a piece
    index = 0
    while index < len(text):
        if used + costs[index] > room:
            window = text.rfind(",", max(start + 1, index - _BREAK_WINDOW), index)
            window = max(window, text.rfind(" ", max(start + 1, index - _BREAK_WINDOW), index))
            cut = window + 1 if window > start else index
            pieces.append(text[start:cut])
            start, used, index = cut, 2, cut
            continue
        used += costs[index]
        index += 1
    pieces.append(text[start:])
    return pieces
