"""Slack messages as plain text for a terminal: how the demo prints the conversation.

Block Kit is flattened the way Slack lays it out (header, sections, fields, context,
buttons), mrkdwn entities are shown as the characters they stand for, ``<@U…>`` as
``@name`` and ``<!date^…|fallback>`` as its fallback.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
_EMOJI = {
    ":white_check_mark:": "✅",
    ":x:": "❌",
    ":no_entry:": "⛔",
    ":no_entry_sign:": "🚫",
    ":warning:": "⚠️",
    ":hourglass_flowing_sand:": "⏳",
    ":hourglass:": "⌛",
    ":gear:": "⚙️",
    ":+1:": "👍",
    ":arrows_counterclockwise:": "🔄",
    ":heavy_multiplication_x:": "✖️",
    ":grey_question:": "❔",
    ":mag:": "🔍",
    ":lock:": "🔒",
    ":key:": "🔑",
    ":rotating_light:": "🚨",
}


def plain(text: str, names: Mapping[str, str]) -> str:
    """mrkdwn as a reader sees it."""
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(_link, text)
    text = text.replace("```", "")
    for code, emoji in _EMOJI.items():
        text = text.replace(code, emoji)
    text = text.replace("\u200b", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    return url if label in (url, "") else f"{label} ({url})"


def render(
    blocks: Sequence[Mapping[str, Any]], fallback: str, names: Mapping[str, str]
) -> list[str]:
    """The lines of one message."""
    if not blocks:
        return plain(fallback, names).splitlines()
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(plain(str(block["text"]["text"]), names).upper())
        elif kind == "section":
            if block.get("text"):
                lines.extend(plain(str(block["text"]["text"]), names).splitlines())
            for field in block.get("fields") or []:
                lines.extend(plain(str(field["text"]), names).splitlines())
        elif kind == "context":
            texts = [plain(str(e.get("text", "")), names) for e in block.get("elements", [])]
            lines.append("  ".join(t for t in texts if t.strip()))
        elif kind == "actions":
            labels = [e.get("text", {}).get("text", "?") for e in block.get("elements", [])]
            lines.append("  ".join(f"[ {label} ]" for label in labels))
        elif kind == "divider":
            lines.append("─" * 40)
    return lines


def boxed(title: str, lines: Sequence[str], width: int = 88) -> str:
    """A message drawn as a box, long lines wrapped."""
    inner = width - 4
    out = [f"┌─ {title} " + "─" * max(0, width - len(title) - 4) + "┐"]
    for line in lines:
        for part in textwrap.wrap(line, inner, replace_whitespace=False) or [""]:
            out.append(f"│ {part:<{inner}} │")
    out.append("└" + "─" * (width - 2) + "┘")
    return "\n".join(out)


def reply(author: str, lines: Sequence[str], indent: str = "    ") -> str:
    """A thread reply or a DM: the author, then the text, indented."""
    body = [f"{indent}{author}:"]
    for line in lines:
        for part in textwrap.wrap(line, 84 - len(indent)) or [""]:
            body.append(f"{indent}  {part}")
    return "\n".join(body)
