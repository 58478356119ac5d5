"""The member plan's modals: the plan itself, the checks to abandon, a skip's reason.

Ids (docs/INTERFACE.md): the plan modal's inputs are ``AccountId``, ``BastionhostUsers``
and ``reason``; the checks modal's checkbox input is ``AbandonableCheckId``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.views.submission import REASON
from bot.slack.views.text import MAX_MODAL_TITLE, plain_text, section

MEMBER = "member"  # the picker's option and the /offboard keyword
MEMBER_LABEL = "Offboard a member account"
MEMBER_CALLBACK = "offboard_member"
ACCOUNT = "AccountId"
USERS = "BastionhostUsers"
ABANDON_CALLBACK = "offboard_abandon"
CHECKS = "AbandonableCheckId"
SKIP_CALLBACK = "offboard_skip"


def _input(block_id: str, label: str, value: str | None, **extra: Any) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": block_id,
        "multiline": extra.pop("multiline", False),
    }
    if value:
        element["initial_value"] = value
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, 2000),
        "element": element,
        **extra,
    }


def _modal(
    callback: str, title: str, submit: str, blocks: list[dict[str, Any]], meta: str
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback,
        "title": plain_text(title, MAX_MODAL_TITLE),
        "submit": plain_text(submit, MAX_MODAL_TITLE),
        "close": plain_text("Cancel", MAX_MODAL_TITLE),
        "blocks": blocks,
        "private_metadata": meta,
    }


def build_member_modal(values: Mapping[str, str], *, private_metadata: str = "") -> dict[str, Any]:
    """The plan modal, filled from ``/offboard member AccountId=...``."""
    blocks = [
        section(
            "*Offboard a member account as one plan.* The bot reads what the member still "
            "holds and proposes every step in order: detach the bastion-host users, "
            "deregister it as delegated administrator, relieve its finance relation "
            "(gate 1), then delete it after a fresh check (gate 2). Nothing runs when you "
            "submit: each gate needs the approvals of other people."
        ),
        _input(ACCOUNT, "Member account ID (AccountId)", values.get(ACCOUNT)),
        _input(
            USERS,
            "Bastion-host users to strip (one `RegionId InstanceId UserId` a line)",
            values.get(USERS),
            multiline=True,
            optional=True,
        ),
        _input(REASON, "Reason", values.get(REASON), multiline=True),
    ]
    return _modal(
        MEMBER_CALLBACK, "Offboard a member", "Propose the plan", blocks, private_metadata
    )


def build_abandon_modal(
    plan_id: str, offered: Sequence[Mapping[str, Any]], chosen: Sequence[str]
) -> dict[str, Any]:
    """The checkboxes of the checks the fresh check offers as abandonable."""
    options = [
        {
            "text": plain_text(str(item.get("name") or item["check_id"]), 75),
            "description": plain_text(str(item.get("description") or ""), 75),
            "value": str(item["check_id"]),
        }
        for item in offered
    ]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": CHECKS, "options": options}
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    blocks = [
        section(
            "Choose the checks the deletion may abandon. Changing the choice files gate 2 "
            "again: approvals given to the old list do not count for the new one."
        ),
        {
            "type": "input",
            "block_id": CHECKS,
            "optional": True,
            "label": plain_text("Checks to abandon", 2000),
            "element": element,
        },
    ]
    return _modal(ABANDON_CALLBACK, "Checks to abandon", "Save the choice", blocks, plan_id)


def build_skip_modal(plan_id: str) -> dict[str, Any]:
    blocks = [_input(REASON, "Why may the plan go on without this step?", None, multiline=True)]
    return _modal(SKIP_CALLBACK, "Skip a step", "Skip it", blocks, plan_id)


def values_of(view: Mapping[str, Any]) -> dict[str, Any]:
    """Each input's value: text for text inputs, a list of values for checkboxes."""
    found: dict[str, Any] = {}
    state = view.get("state") if isinstance(view, Mapping) else None
    values = state.get("values") if isinstance(state, Mapping) else None
    for block_id, elements in (values if isinstance(values, Mapping) else {}).items():
        if not isinstance(elements, Mapping):
            continue  # not a form Slack sends: read as empty, refused as missing
        for element in elements.values():
            if not isinstance(element, Mapping):
                continue
            if element.get("type") == "checkboxes":
                found[block_id] = [
                    str(o.get("value"))
                    for o in element.get("selected_options") or []
                    if isinstance(o, Mapping)
                ]
            elif isinstance(element.get("value"), str):
                found[block_id] = element["value"].strip()
    return found
