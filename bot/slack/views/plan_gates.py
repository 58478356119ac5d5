"""The messages a member plan posts in its thread when a gate after the first opens:
gate 2 (the fresh check, the checks to abandon, DeleteAccount as signed), the blockers
that stop the plan before it, and the rollback gate. Their buttons (docs/INTERFACE.md):
``approve`` / ``reject`` with the gate's request id, ``abandon_checks`` with the plan id.
"""

from __future__ import annotations

from typing import Any

from bot.slack.plan_rendering import PlanModel
from bot.slack.views.plan_card import (
    ABANDON,
    ABANDON_CHECKS,
    RECHECK,
    ROLLBACK,
    button,
    checks,
    decision,
    step_line,
    tally_line,
)
from bot.slack.views.replies import SlackMessage
from bot.slack.views.text import code, escape, section
from storage.states import Status


def gate2_message(model: PlanModel) -> SlackMessage:
    gate = model.gate(2)
    assert gate is not None
    fresh = model.fresh
    chosen = gate.abandon.split(",") if gate.abandon else []
    calls = ", ".join(escape(s.action) for s in model.steps_of(2)) or "the deletion"
    lines = [
        f"*Gate 2: {calls} of member `{code(model.plan.account_id)}`.* {tally_line(gate)}",
        f"Fresh deletion check: *AllowDelete* {str(fresh.get('allow_delete')).lower()}",
        "*NotAllowReason*:\n" + checks(fresh.get("not_allowed", []), "none"),
        "*AbandonableChecks*:\n" + checks(fresh.get("abandonable", []), "none"),
        "*Chosen to abandon (AbandonableCheckId)*: "
        + (", ".join(f"`{code(c)}`" for c in chosen) or "none"),
    ]
    steps = model.steps_of(2)
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    blocks += [section(step_line(s)) for s in steps]
    if gate.status is Status.PENDING:
        buttons = decision(gate)
        if fresh.get("abandonable"):
            buttons["elements"].append(button(ABANDON_CHECKS, "Choose checks to abandon", model.id))
        buttons["elements"].append(button(ROLLBACK, "Roll back gate 1", model.id))
        blocks.append(buttons)
    return {"text": f"Gate 2 of plan {model.id}: {gate.status.value}", "blocks": blocks}


def blocked_message(model: PlanModel) -> SlackMessage:
    fresh = model.fresh
    lines = [
        f"*Stopped before gate 2:* the fresh deletion check of `{code(model.plan.account_id)}`"
        f" says AllowDelete={str(fresh.get('allow_delete')).lower()}.",
    ]
    if fresh.get("failure"):
        lines.append(f"The check failed: {escape(str(fresh['failure']))}")
    if not fresh.get("complete", True):
        lines.append("The check did not complete in time.")
    lines.append("*NotAllowReason*:\n" + checks(fresh.get("not_allowed", []), "none"))
    lines.append("Re-check once the blockers are cleared; the plan stays as approved so far.")
    return {
        "text": f"Plan {model.id} is blocked before gate 2",
        "blocks": [
            section("\n".join(lines)),
            {
                "type": "actions",
                "block_id": "plan",
                "elements": [
                    button(RECHECK, "Re-check", model.id, "primary"),
                    button(ROLLBACK, "Roll back gate 1", model.id),
                    button(ABANDON, "Abandon the plan", model.id, "danger"),
                ],
            },
        ],
    }


def rollback_message(model: PlanModel, kept: list[str]) -> SlackMessage:
    gate = model.gate(3)
    assert gate is not None
    lines = [
        f"*Rollback of gate 1, a request of its own.* {tally_line(gate)}",
        "Gate 2 is withdrawn: nothing is deleted. These calls undo what gate 1 did, "
        "last done first:",
    ]
    if kept:
        undone = "\n".join(f"• {escape(k)}" for k in kept)
        lines.append(f"Not undone (no API puts it back):\n{undone}")
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    blocks += [section(step_line(s)) for s in model.steps_of(3)]
    if gate.status is Status.PENDING:
        blocks.append(decision(gate))
    return {"text": f"Rollback of plan {model.id}: {gate.status.value}", "blocks": blocks}
