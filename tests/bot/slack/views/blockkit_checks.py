"""Checks shared by the view tests: Block Kit limits and "nothing can ping".

``slack_sdk.models`` knows Slack's per-field limits (section text 3000, button text 75,
modal title 24, private_metadata 3000, ...); parsing and re-serialising must also give
back exactly what we built, which catches a misspelled or unknown key.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Every <...> sequence Slack would interpret; ours are user mentions, dates and links.
_CONTROL = re.compile(r"<([^<>]*)>")
_OURS = re.compile(r"^(@[UW][A-Z0-9]{2,}|!date\^\d+\^[^|]*\|[^|]*|https://[^|\s]+\|[^|]*)$")
BROADCASTS = ("<!channel", "<!here", "<!everyone", "<!subteam")


def check_message_blocks(blocks: list[dict[str, Any]]) -> None:
    """A message's blocks are valid Block Kit within Slack's limits."""
    assert 1 <= len(blocks) <= 50, f"{len(blocks)} blocks"
    parsed = Block.parse_all(blocks)
    for block, original in zip(parsed, blocks, strict=True):
        block.validate_json()
        assert block.to_dict() == original
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "block_ids must be unique in a message"
    for text in texts(blocks):
        assert len(text) <= 3000


def check_modal(view: dict[str, Any]) -> None:
    """A modal view is valid and within limits (100 blocks, title 24, metadata 3000)."""
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view
    assert len(view["blocks"]) <= 100
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def texts(value: Any) -> Iterator[str]:
    """Every string under a ``text`` key, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def control_sequences(text: str) -> list[str]:
    """The ``<...>`` sequences Slack would act on in ``text``."""
    return _CONTROL.findall(text)


def assert_cannot_ping(value: Any, *, allowed_mentions: Collection[str] = ()) -> None:
    """No broadcast, and only our own mentions, dates and links anywhere in ``value``."""
    for text in texts(value) if not isinstance(value, str) else [value]:
        for broadcast in BROADCASTS:
            assert broadcast not in text, text
        for seq in control_sequences(text):
            assert _OURS.match(seq), f"unexpected control sequence <{seq}> in {text!r}"
            if seq.startswith("@"):
                assert seq[1:] in allowed_mentions, f"forged mention <{seq}> in {text!r}"
