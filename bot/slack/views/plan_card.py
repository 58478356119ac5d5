"""The member plan's card and its thread: pure Block Kit from a :class:`PlanModel`.

Ids (docs/INTERFACE.md): each gate's buttons are ``approve`` / ``reject`` with that gate's
request id as ``value`` (gate 1 on the card, gate 2 in the thread); the requester's
button to choose checks to abandon is ``abandon_checks`` (value: the plan id). Every
value shown came from a person or the cloud and is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.approvals.tally import Tally
from bot.slack.plan_rendering import GateModel, PlanModel
from bot.slack.views.card import APPROVE, REJECT
from bot.slack.views.replies import SlackMessage
from bot.slack.views.text import (
    MAX_MESSAGE_BLOCKS,
    code,
    context,
    escape,
    mention,
    mentions,
    mrkdwn_safe,
    section,
    slack_date,
)
from storage.plan_records import StepRecord
from storage.records import RequestRecord
from storage.states import Status, StepState

ABANDON_CHECKS = "abandon_checks"
RECHECK = "plan_recheck"
RETRY = "plan_retry"
SKIP = "plan_skip"
ABANDON = "plan_abandon"
ROLLBACK = "plan_rollback"

_STEP_MARK = {
    StepState.PLANNED: ":white_circle:",
    StepState.RUNNING: ":arrows_counterclockwise:",
    StepState.FOLLOWING: ":hourglass_flowing_sand:",
    StepState.DONE: ":white_check_mark:",
    StepState.ALREADY_DONE: ":white_check_mark:",
    StepState.SKIPPED: ":fast_forward:",
    StepState.FAILED: ":x:",
    StepState.UNKNOWN: ":grey_question:",
}


def params_block(params: Mapping[str, Any]) -> str:
    return "```" + escape(json.dumps(dict(params), indent=1, ensure_ascii=False)) + "```"


def button(action_id: str, text: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def decision(gate: GateModel) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "decision",
        "elements": [
            button(APPROVE, f"Approve gate {gate.number}", gate.request_id, "primary"),
            button(REJECT, f"Reject gate {gate.number}", gate.request_id, "danger"),
        ],
    }


def tally_line(gate: GateModel) -> str:
    line = (
        f"Gate {gate.number} `{code(gate.request_id)}`: *{gate.status.value}*, "
        f"{len(gate.approvals)} of {gate.required} approvals "
        f"({mentions(gate.approvals, empty='none yet')})"
    )
    if gate.rejections:
        line += f"; rejected by {mentions(gate.rejections)}"
    return line + f". Digest `{code(gate.digest)}`"


def step_line(step: StepRecord) -> str:
    data = step.step
    mark = _STEP_MARK.get(step.state, "")
    kind = (
        "reversible"
        if not data.get("irreversible")
        else f"irreversible: {escape(str(data['irreversible']))}"
    )
    lines = [
        f"{mark} *{step.ordinal}. {escape(step.action)}* · {step.state.value} · {kind}",
        f"Clears: {escape(str(data.get('clears', '')))}",
        params_block(step.signed),
    ]
    said = step.result
    if said.code or said.request_id:
        lines.append(
            f"Code `{code(said.code or '-')}` · RequestId `{code(said.request_id or '-')}`"
        )
    if step.skip_reason:
        lines.append(f"Skipped: {escape(step.skip_reason)}")
    return "\n".join(lines)


def build_plan_card(model: PlanModel) -> tuple[list[dict[str, Any]], str]:
    plan = model.plan
    name = f" ({escape(model.member_name)})" if model.member_name else ""
    text = f"Offboard member {plan.account_id}{name}: plan {plan.id}, {plan.state.value}"
    blocks: list[dict[str, Any]] = [
        section(
            f"*Offboard member `{code(plan.account_id)}`{name}* · plan `{code(plan.id)}` · "
            f"*{plan.state.value}*\nRequested by {mention(plan.requester)}: "
            f"{mrkdwn_safe(plan.reason, 1500)}"
        )
    ]
    proposal = plan.proposal
    for refusal in proposal.get("refusals", []):
        blocks.append(section(f":no_entry: {mrkdwn_safe(str(refusal), 2900)}"))
    gate1 = model.gate(1)
    if gate1 is not None:
        blocks.append(section(f"*Gate 1: the reversible phase.* {tally_line(gate1)}"))
        blocks += [section(step_line(s)) for s in model.steps_of(1)]
    deletion = proposal.get("deletion")
    gate2 = model.gate(2)
    if gate2 is not None:
        blocks.append(section(f"*Gate 2: the deletion.* {tally_line(gate2)}"))
        blocks += [section(step_line(s)) for s in model.steps_of(2)]
    elif deletion:
        blocks.append(
            section(
                "*Gate 2: the deletion* (irreversible), opened after a fresh "
                "deletion check, with the checks to abandon the requester chooses:\n"
                + params_block(deletion["params"])
            )
        )
    gate3 = model.gate(3)
    if gate3 is not None:
        blocks.append(section(f"*Rollback of the reversible phase.* {tally_line(gate3)}"))
        blocks += [section(step_line(s)) for s in model.steps_of(3)]
    blocks += _blockers(proposal.get("blockers", []))
    if gate1 is not None and gate1.status is Status.PENDING:
        # Slack takes at most 50 blocks: the buttons are kept and the last lines go
        # (only a plan of dozens of detach calls is that long; the gate's step-up window
        # and its params still list every call).
        return [*blocks[: MAX_MESSAGE_BLOCKS - 1], decision(gate1)], text
    return blocks[:MAX_MESSAGE_BLOCKS], text


def _blockers(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not items:
        return []
    lines = ["*Blockers no API clears* (from NotAllowReason):"]
    lines += [
        f"• {escape(str(b['name'] or b['check_id']))}: {escape(str(b['description']))} "
        f"(`{code(str(b['check_id']))}`): {escape(str(b['who']))} must {escape(str(b['what']))}"
        for b in items
    ]
    return [section("\n".join(lines))]


def checks(items: list[dict[str, Any]], empty: str) -> str:
    if not items:
        return empty
    return "\n".join(
        f"• {escape(str(i['name']))}: {escape(str(i['description']))} "
        f"(`{code(str(i['check_id']))}`)"
        for i in items
    )


def step_reply(model: PlanModel, step: StepRecord, *, stopped: bool = False) -> SlackMessage:
    lines = [
        f"Step {step.ordinal} `{code(step.key)}` *{escape(step.action)}*: *{step.state.value}*",
        f"*Code* `{code(step.result.code or '-')}` · "
        f"*Message* {escape(step.result.message or '-')} · "
        f"*RequestId* `{code(step.result.request_id or '-')}`",
    ]
    if step.verified:
        lines.append(f"Verified by a read: {escape(step.verified)}")
    if step.progress and step.state is StepState.FOLLOWING:
        lines.append(f"Deletion status: {escape(step.progress)}")
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    if stopped:
        blocks.append(
            context(
                "The plan is stopped. Next step: the requester retries the step, skips it "
                "with a reason, or abandons the plan."
            )
        )
        blocks.append(
            {
                "type": "actions",
                "block_id": "plan",
                "elements": [
                    button(RETRY, "Retry the step", model.id, "primary"),
                    button(SKIP, "Skip it (with a reason)", model.id),
                    button(ABANDON, "Abandon the plan", model.id, "danger"),
                ],
            }
        )
    return {"text": f"Step {step.key}: {step.state.value}", "blocks": blocks}


def note(text: str) -> SlackMessage:
    """A reply of our own words (anything from people or the cloud escaped already)."""
    return {"text": text, "blocks": [section(text)]}


def gate_line(gate: RequestRecord, tally: Tally) -> str:
    """``/offboard list``: one waiting gate of a member plan."""
    name = {1: "gate 1", 2: "gate 2", 3: "the rollback"}.get(gate.gate or 0, "a gate")
    return (
        f"• `{code(str(gate.plan_id))}`: {name} `{code(gate.id)}` of {mention(gate.requester)}'s "
        f"plan, {len(tally.approvals)} of {tally.required}, expires {slack_date(gate.expires_at)}"
    )


def plan_status(model: PlanModel) -> SlackMessage:
    """``/offboard status PLAN_ID``."""
    blocks, text = build_plan_card(model)
    return {"text": text, "blocks": [b for b in blocks if b.get("type") != "actions"]}
