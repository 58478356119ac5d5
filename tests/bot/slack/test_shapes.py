"""Signed bodies not shaped like Slack's are 400 and change nothing.

The attack: a signed payload whose well-known fields have another type (``"team": "x"``)
or a slash command missing what Slack always sends. Bolt reads those fields unchecked, so
each used to surface as an AttributeError or KeyError deep inside Bolt or a listener: a
500, or "Something went wrong" after the ack. Each case goes over HTTP to the real app.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.devstack.local_stack import REQUESTER
from bot.devstack.standin import STANDIN_TEAM_ID
from bot.slack import bounds
from tests.bot.slack.test_nested import crashed
from tests.bot.slack.test_replay import drain
from tests.bot.slack.test_security import snapshot
from tests.support.slack import Slack

COMMAND = {
    "command": "/offboard",
    "text": "list",
    "user_id": REQUESTER.user_id,
    "team_id": STANDIN_TEAM_ID,
    "channel_id": "C0GENERAL",
    "trigger_id": "1.2.3",
    "response_url": "https://hooks.slack.com/commands/T0/1/x",
}


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "view_submission", "team": "T0OFFBOARD", "view": {"type": "modal"}},
        {"type": "block_actions", "user": ["U0ALICE"], "actions": [{"action_id": "approve"}]},
        {"type": "block_actions", "actions": "approve"},
        {"type": "block_actions", "actions": [{"action_id": 7}]},
        {"type": "view_submission", "view": {"type": "modal", "blocks": 5}},
        {"type": {"nested": "type"}},
        {"type": "block_actions", "user": {"id": "U" * 300}, "actions": []},
    ],
)
def test_a_payload_with_fields_of_the_wrong_type_is_400(
    bot_server: Slack, payload: dict[str, object]
) -> None:
    slack = bot_server
    before = snapshot(slack)
    response = slack.signer.post(urlencode({"payload": json.dumps(payload)}))
    assert (response.status_code, response.json()) == (400, {"error": "malformed request"})
    assert snapshot(slack) == before


@pytest.mark.parametrize(
    "change",
    [
        {"trigger_id": None},
        {"response_url": None},
        {"channel_id": ""},
        {"response_url": "not a url"},
        {"channel_id": "C" * 3000},
    ],
)
def test_a_slash_command_without_what_slack_always_sends_is_400(
    bot_server: Slack, change: dict[str, str | None]
) -> None:
    slack = bot_server
    before = snapshot(slack)
    form = {k: v for k, v in (COMMAND | change).items() if v is not None}
    response = slack.signer.post(urlencode(form))
    assert response.status_code == 400
    drain(slack)
    assert snapshot(slack) == before and crashed(slack) == []


def test_a_well_formed_command_passes_the_gate() -> None:
    assert bounds.command_problem({k: [v] for k, v in COMMAND.items()}) is None
    assert bounds.shape_problem({"type": "block_actions", "actions": [{"action_id": "a"}]}) is None
