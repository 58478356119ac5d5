"""Bounds on what reaches the bot from Slack: body size and JSON nesting depth.

A Slack payload is a few kilobytes of JSON nested about ten levels deep (a view's
``state.values.<block>.<action>.selected_option.text``). Anything far beyond that did not
come from a person filling a form, and Python's own JSON decoder raises
``RecursionError`` (not ``ValueError``) on deep enough input, which would surface as a 500.
So every JSON text the bot reads from Slack goes through :func:`loads` here.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: Slack's payloads are kilobytes
MAX_JSON_DEPTH = 32


class TooDeep(ValueError):
    """JSON nested deeper than :data:`MAX_JSON_DEPTH` containers."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def depth(value: Any) -> int:
    """How many lists and objects deep ``value`` goes (a scalar is 0); never recurses."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises :class:`TooDeep` past ``limit`` levels, never RecursionError.

    Raises ``ValueError`` (``json.JSONDecodeError``) for text that is not JSON.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        # The C decoder gives up around sys.getrecursionlimit() levels, far past `limit`.
        raise TooDeep(limit) from None
    if depth(value) > limit:
        raise TooDeep(limit)
    return value


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``text`` is JSON (an array or object) nested deeper than ``limit``.

    For values typed into a form: text that is not JSON at all is not "too deep".
    """
    stripped = text.lstrip()
    if not stripped.startswith(("[", "{")):
        return False
    try:
        loads(stripped, limit)
    except TooDeep:
        return True
    except ValueError:
        return False
    return False


def prune(text: str, limit: int = MAX_JSON_DEPTH) -> str:
    """``text`` with every list or object deeper than ``limit`` replaced by ``null``.

    One pass, no recursion, so it works on JSON too deep for the decoder; it lets the bot
    read a too-deep payload's shallow parts (its ``type``, the view's ids) to answer it
    properly. Text that is not JSON stays text that is not JSON.
    """
    out: list[str] = []
    level = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if level <= limit:
                out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in "[{":
            level += 1
            if level == limit + 1:
                out.append("null")
        elif char in "]}":
            level -= 1
            if level == limit:
                continue
        elif char == '"':
            in_string = True
        if level <= limit:
            out.append(char)
    return "".join(out)
