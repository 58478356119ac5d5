"""Approving as a person does in Slack with step-up on: click, read the modal, type a code.

Used by the demo and the tests. Everything goes through the bot's real HTTP endpoint as
Slack-signed requests; the modal is the one the bot opened (as the Slack stand-in
recorded its ``views.open``), found by the click's own ``trigger_id``.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from bot.devstack.local_stack import APPROVAL_CHANNEL, LocalStack
from bot.devstack.payloads import Person, new_trigger_id
from bot.devstack.standin import SlackStandIn

_views = itertools.count(1)


def click_approve(
    stack: LocalStack, person: Person, request_id: str, card_ts: str, timeout: float = 10.0
) -> dict[str, Any] | None:
    """``person`` clicks Approve on the card; returns the step-up modal the bot opened, or
    None when the bot told them why not instead (an ephemeral message)."""
    standin = stack.standin
    told = _ephemerals(standin, person)
    trigger = new_trigger_id()
    response = stack.signer.click(
        person,
        "approve",
        request_id,
        channel=APPROVAL_CHANNEL,
        message_ts=card_ts,
        trigger_id=trigger,
    )
    if response.status_code != 200:
        raise RuntimeError(f"the bot answered HTTP {response.status_code}: {response.text}")

    def answered(s: SlackStandIn) -> bool:
        return _opened(s, trigger) is not None or _ephemerals(s, person) > told

    if not standin.wait_for(answered, timeout):
        raise TimeoutError(f"no modal and no refusal for {person.name}'s click")
    view = _opened(standin, trigger)
    if view is None:
        return None
    # What Slack holds for an open view: the view the bot sent, plus its id and hash.
    return {**view, "id": f"VSTEPUP{next(_views):04d}", "hash": f"hs{next(_views)}"}


def submit_code(
    stack: LocalStack, person: Person, view: dict[str, Any], code: str | None
) -> httpx.Response:
    """``person`` types ``code`` into the modal's code field and presses Approve."""
    values = {} if code is None else {"totp_code": code}
    return stack.signer.submit(person, view, values)


def _opened(standin: SlackStandIn, trigger_id: str) -> dict[str, Any] | None:
    for call in standin.calls("views.open"):
        if call.params.get("trigger_id") == trigger_id:
            view = call.params.get("view")
            return view if isinstance(view, dict) else None
    return None


def _ephemerals(standin: SlackStandIn, person: Person) -> int:
    return sum(
        1 for c in standin.calls("chat.postEphemeral") if c.params.get("user") == person.user_id
    )
