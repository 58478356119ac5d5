"""Playing a member plan through the real HTTP endpoint: people in Slack, the sandbox.

Helpers only: each test says what it asserts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.devstack.local_stack import APPROVAL_CHANNEL
from bot.devstack.payloads import Person, view_submission
from bot.devstack.standin import Message
from commands.catalog import get_spec
from commands.sandbox.server import RecordedCall
from storage.plan_records import PlanRecord
from storage.records import RequestRecord
from storage.states import PlanState, Status
from tests.support.slack import Slack, wait_until

REASON = "the project is closed; HR offboarded its owner"


def plan_of(slack: Slack, account_id: str) -> PlanRecord | None:
    plans = [p for p in slack.repo.plans_in(list(PlanState)) if p.account_id == account_id]
    return plans[-1] if plans else None


def propose(slack: Slack, person: Person, account_id: str, users: str = "") -> PlanRecord:
    """``/offboard member AccountId=...``, the modal submitted; the plan once its card is up."""
    view = slack.open_modal(person, f"member AccountId={account_id}")
    assert view["callback_id"] == "offboard_member"
    response = slack.submit(person, view, {"BastionhostUsers": users, "reason": REASON})
    assert response.status_code == 200 and response.text == "", response.text

    def posted() -> PlanRecord | None:
        plan = plan_of(slack, account_id)
        return plan if plan is not None and plan.card_ts else None

    return wait_until(posted, 30, "the plan card")  # type: ignore[no-any-return]


def wait_state(
    slack: Slack, plan: PlanRecord, *states: PlanState, timeout: float = 30
) -> PlanRecord:
    def reached() -> PlanRecord | None:
        fresh = slack.repo.get_plan(plan.id)
        return fresh if fresh is not None and fresh.state in states else None

    return wait_until(reached, timeout, f"{plan.id} to reach {states}")  # type: ignore[no-any-return]


def gate(slack: Slack, plan: PlanRecord, number: int) -> RequestRecord:
    gates = [g for g in slack.repo.gates_of(plan.id) if g.gate == number]
    assert gates, f"no gate {number}"
    live = [g for g in gates if g.status is not Status.CANCELLED]
    return (live or gates)[-1]


def card(slack: Slack, plan: PlanRecord) -> Message:
    ts = slack.repo.get_plan(plan.id).card_ts  # type: ignore[union-attr]
    return next(m for m in slack.standin.messages(APPROVAL_CHANNEL) if m.ts == ts)


def thread(slack: Slack, plan: PlanRecord) -> list[Message]:
    return slack.standin.thread(APPROVAL_CHANNEL, card(slack, plan).ts)


def text_of(message: Message) -> str:
    parts: list[str] = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.blocks)
    return "\n".join(parts)


def buttons(message: Message) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e.get("value", ""))
        for b in message.blocks
        if b.get("type") == "actions"
        for e in b.get("elements", [])
    ]


def writes(slack: Slack) -> list[RecordedCall]:
    """Every call the sandbox received that changes the cloud."""
    return [c for c in slack.sandbox.calls if get_spec(c.action).op_class.changes_cloud]


def sent_once(calls: Sequence[RecordedCall]) -> bool:
    """No call sent twice: no two writes with the same action and parameters."""
    keys = [(c.action, json.dumps(c.params, sort_keys=True)) for c in calls]
    return len(keys) == len(set(keys))


def click_in_thread(
    slack: Slack, person: Person, action_id: str, value: str, message: Message
) -> None:
    response = slack.signer.click(
        person, action_id, value, channel=APPROVAL_CHANNEL, message_ts=message.ts
    )
    assert response.status_code == 200, response.text


def submit_checks(slack: Slack, person: Person, view: dict[str, Any], chosen: list[str]) -> None:
    """Tick ``chosen`` in the checks modal and submit it."""
    payload = view_submission(person, view, {})
    element = next(b for b in view["blocks"] if b.get("block_id") == "AbandonableCheckId")
    options = [o for o in element["element"]["options"] if o["value"] in chosen]
    payload["view"]["state"]["values"]["AbandonableCheckId"] = {
        "AbandonableCheckId": {"type": "checkboxes", "selected_options": options}
    }
    response = slack.signer.post_payload(payload)
    assert response.status_code == 200 and response.text == "", response.text
