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
from urllib.parse import urlsplit

from bot.errors import TooDeep as TooDeep

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: Slack's payloads are kilobytes
MAX_JSON_DEPTH = 32


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


# Slack's payloads are JSON objects whose well-known fields have one type each
# (https://api.slack.com/reference/interaction-payloads); Bolt reads them without checking
# (``payload["team"].get("id")``), so a field of another type would surface as an
# AttributeError deep inside Bolt. Only the top level and these objects are checked.
_OBJECT_FIELDS = frozenset(
    {"user", "team", "enterprise", "view", "container", "channel", "message", "event", "state"}
)
_STRING_FIELDS = frozenset(
    {
        "type",
        "id",
        "team_id",
        "user_id",
        "enterprise_id",
        "channel_id",
        "api_app_id",
        "trigger_id",
        "callback_id",
        "action_id",
        "block_id",
        "private_metadata",
        "response_url",
        "token",
        "hash",
        "external_id",
        "challenge",
    }
)


# Ids Slack sends are short; block_id, action_id and callback_id are at most 255
# (https://api.slack.com/reference/block-kit/blocks), and so is anything we accept as one.
_ID_FIELDS = frozenset(
    {"id", "team_id", "user_id", "enterprise_id", "channel_id", "api_app_id", "trigger_id"}
    | {"callback_id", "action_id", "block_id", "external_id"}
)
MAX_ID_LENGTH = 255

# A slash command always carries these (https://api.slack.com/interactivity/slash-commands).
_COMMAND_FIELDS = ("command", "user_id", "team_id", "channel_id", "trigger_id", "response_url")


def shape_problem(payload: Any) -> str | None:
    """Why ``payload`` is not shaped like a Slack payload, or None when it is."""
    if not isinstance(payload, dict):
        return "the payload is not a JSON object"
    return _object_problem(payload, "payload", nested=True)


def command_problem(form: dict[str, list[str]]) -> str | None:
    """Why a form body with a ``command`` is not a Slack slash command, or None."""
    for name in _COMMAND_FIELDS:
        values = form.get(name, [])
        if len(values) != 1 or not values[0].strip():
            return f"the command has no single {name}"
        if name in _ID_FIELDS and len(values[0]) > MAX_ID_LENGTH:
            return f"the command's {name} is too long"
    url = urlsplit(form["response_url"][0])
    if url.scheme not in {"https", "http"} or not url.hostname:
        return "the command's response_url is not a URL"
    return None


def _object_problem(value: dict[str, Any], where: str, *, nested: bool) -> str | None:
    for key, item in value.items():
        if key in _STRING_FIELDS and item is not None and not isinstance(item, str):
            return f"{where}.{key} is not a string"
        if key in _ID_FIELDS and isinstance(item, str) and len(item) > MAX_ID_LENGTH:
            return f"{where}.{key} is too long"
        if nested and key in _OBJECT_FIELDS and item is not None:
            if not isinstance(item, dict):
                return f"{where}.{key} is not an object"
            problem = _object_problem(item, f"{where}.{key}", nested=key == "view")
            if problem is not None:
                return problem
        if nested and key in {"actions", "authorizations", "blocks"} and item is not None:
            if not isinstance(item, list) or not all(isinstance(i, dict) for i in item):
                return f"{where}.{key} is not a list of objects"
            for entry in item:
                problem = _object_problem(entry, f"{where}.{key}[]", nested=False)
                if problem is not None:
                    return problem
    return None
