"""Slack's side of the wire: signed requests to the bot, shaped as Slack sends them.

Used by the demo and the tests to play people in Slack against the real HTTP endpoint.
Payload shapes follow Slack's reference pages: slash commands
(https://api.slack.com/interactivity/slash-commands), ``block_actions`` and
``view_submission`` (https://api.slack.com/reference/interaction-payloads). Signing follows
https://api.slack.com/authentication/verifying-requests-from-slack: ``v0=`` + hex
HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` keyed with the signing secret.

A modal is filled the way a person fills it: from the view the bot actually opened (as
the Slack stand-in recorded it), with Slack's ``state.values`` shape per element type.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.devstack.standin import STANDIN_TEAM_ID
from bot.devstack.view_state import input_element, option_of, view_state

FORM = "application/x-www-form-urlencoded"
API_APP_ID = "A0OFFBOARD"
_seq = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """Someone in Slack: an opaque user id and the team it belongs to."""

    user_id: str
    name: str
    team_id: str = STANDIN_TEAM_ID

    def as_user(self) -> dict[str, str]:
        return {
            "id": self.user_id,
            "username": self.name,
            "name": self.name,
            "team_id": self.team_id,
        }


def signature(secret: str, timestamp: int | str, body: str) -> str:
    """Slack's request signature for ``body`` sent at ``timestamp``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def new_trigger_id() -> str:
    """A fresh trigger id, as Slack sends with every interaction."""
    # Slack's trigger ids look like "<n>.<seconds>.<hex>"; ours are opaque and unique.
    return f"{next(_seq)}.{int(time.time())}.{secrets.token_hex(16)}"


class SlackSigner:
    """Posts Slack-signed requests to ``{url}`` (the bot's ``/slack/events``).

    ``clock`` gives the signing time (Unix seconds); pass ``timestamp=`` per request to
    sign as of another moment (a stale replay), or ``secret=`` to forge.
    """

    def __init__(
        self,
        secret: str,
        url: str,
        *,
        response_url: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.secret = secret
        self.url = url
        self._response_url = response_url or (lambda key: f"http://127.0.0.1:9/_response/{key}")
        self._clock = clock
        self.http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.http.close()

    # -- raw ---------------------------------------------------------------------------

    def post(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        content_type: str = FORM,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Sign ``body`` (the exact bytes sent) and post it."""
        signed = {
            **self.signed_headers(body, timestamp=timestamp, secret=secret),
            "Content-Type": content_type,
            **(headers or {}),
        }
        return self.http.post(self.url, content=body.encode(), headers=signed)

    def signed_headers(
        self, body: str, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        """The form content type and Slack's timestamp and signature headers for ``body``."""
        ts = int(self._clock()) if timestamp is None else timestamp
        return {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature(secret or self.secret, ts, body),
        }

    def post_payload(self, payload: Mapping[str, Any], **kwargs: Any) -> httpx.Response:
        """An interactivity request: one form field ``payload`` holding JSON."""
        return self.post(urlencode({"payload": json.dumps(payload)}), **kwargs)

    # -- what people do ------------------------------------------------------------------

    def slash_command(
        self, person: Person, text: str = "", *, channel: str = "C0GENERAL", **kwargs: Any
    ) -> httpx.Response:
        """``/offboard {text}`` typed by ``person`` in ``channel``."""
        key = f"cmd{next(_seq)}"
        form = {
            "token": "deprecated-verification-token",
            "team_id": person.team_id,
            "team_domain": "offboard",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": person.user_id,
            "user_name": person.name,
            "command": "/offboard",
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._response_url(key),
            "trigger_id": new_trigger_id(),
        }
        return self.post(urlencode(form), **kwargs)

    def click(
        self,
        person: Person,
        action_id: str,
        value: str,
        *,
        channel: str,
        message_ts: str,
        block_id: str = "decision",
        trigger_id: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """``person`` clicks a button (``action_id``, ``value``) on a message.

        ``trigger_id`` lets the caller find the modal the click opens (views.open)."""
        payload = {
            "type": "block_actions",
            "user": person.as_user(),
            "api_app_id": API_APP_ID,
            "token": "deprecated-verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": trigger_id or new_trigger_id(),
            "team": {"id": person.team_id, "domain": "offboard"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "offboard-approvals"},
            "message": {"type": "message", "ts": message_ts, "text": "(card)"},
            "response_url": self._response_url(f"act{next(_seq)}"),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "text": {"type": "plain_text", "text": action_id.title()},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self.post_payload(payload, **kwargs)

    def pick(
        self, person: Person, view: Mapping[str, Any], block_id: str, value: str, **kwargs: Any
    ) -> httpx.Response:
        """``person`` picks ``value`` in the select ``block_id`` of an open modal."""
        element = input_element(view, block_id)
        option = option_of(element, value)
        state = view_state(view, {block_id: value})
        payload = {
            "type": "block_actions",
            "user": person.as_user(),
            "api_app_id": API_APP_ID,
            "token": "deprecated-verification-token",
            "container": {"type": "view", "view_id": view.get("id", "V0")},
            "trigger_id": new_trigger_id(),
            "team": {"id": person.team_id, "domain": "offboard"},
            "enterprise": None,
            "is_enterprise_install": False,
            "view": {**view, "state": {"values": state}},
            "actions": [
                {
                    "type": element.get("type", "static_select"),
                    "action_id": element.get("action_id", block_id),
                    "block_id": block_id,
                    "selected_option": option,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self.post_payload(payload, **kwargs)

    def submit(
        self, person: Person, view: Mapping[str, Any], values: Mapping[str, str], **kwargs: Any
    ) -> httpx.Response:
        """``person`` fills ``values`` (block_id -> text) into the modal and submits it."""
        return self.post_payload(view_submission(person, view, values), **kwargs)


def view_submission(
    person: Person, view: Mapping[str, Any], values: Mapping[str, str]
) -> dict[str, Any]:
    """The ``view_submission`` payload of ``person`` submitting ``view`` filled with ``values``.

    Built once, it can be signed and posted more than once: a replay.
    """
    return {
        "type": "view_submission",
        "team": {"id": person.team_id, "domain": "offboard"},
        "user": person.as_user(),
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": new_trigger_id(),
        "view": {
            **view,
            "team_id": person.team_id,
            "state": {"values": view_state(view, values)},
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
