"""Slack's payloads around the Home tab, as Slack sends them to the bot.

``app_home_opened`` arrives through the Events API: a JSON ``event_callback`` envelope
(api.slack.com/events/app_home_opened); a click on the tab is ``block_actions`` whose
container is the ``home`` view, with no channel, message or ``response_url``.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import httpx

from bot.devstack.payloads import API_APP_ID, Person, SlackSigner, new_trigger_id
from bot.devstack.standin import STANDIN_BOT_USER_ID

_events = itertools.count(1)


def home_opened(person: Person, *, tab: str = "home") -> dict[str, Any]:
    """The ``event_callback`` for ``person`` opening the app's ``tab``."""
    now = time.time()
    return {
        "token": "deprecated-verification-token",
        "team_id": person.team_id,
        "api_app_id": API_APP_ID,
        "event": {
            "type": "app_home_opened",
            "user": person.user_id,
            "channel": "D" + person.user_id.lstrip("UW"),
            "tab": tab,
            "event_ts": f"{now:.6f}",
        },
        "type": "event_callback",
        "event_id": f"Ev{next(_events):08d}",
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": person.team_id,
                "user_id": STANDIN_BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def home_click(
    person: Person, view: dict[str, Any], action_id: str, value: str, *, trigger_id: str = ""
) -> dict[str, Any]:
    """``person`` clicks the button (``action_id``, ``value``) on their Home tab ``view``."""
    view_id = str(view.get("id") or "VHOME")
    return {
        "type": "block_actions",
        "user": person.as_user(),
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": person.team_id, "domain": "offboard"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {**view, "id": view_id, "type": "home"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"home:{value}",
                "value": value,
                "text": {"type": "plain_text", "text": action_id.title()},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def send_event(signer: SlackSigner, payload: dict[str, Any]) -> httpx.Response:
    """Post an Events API payload: signed JSON, as Slack sends events."""
    return signer.post(json.dumps(payload), content_type="application/json")
