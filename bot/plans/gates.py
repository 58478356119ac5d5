"""A gate of a member plan is a request: the approval rules, the door, expiry and the
execution window apply to it unchanged.

Its ``params`` list every step it covers exactly as it will be signed (``signed_params``
with the request id the step is sent under), so the digest approvers compare and the
door's recount cover every step. A gate needs the approvals its strictest step would
need as a request of its own, and never fewer than a destructive request (the door,
which finds no catalog spec for a gate, counts it as one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.approvals.policy import ApprovalRules
from bot.plans.codec import step_to_json
from commands.catalog import OperationClass, get_spec, validate_params
from commands.member_plan import Step, signed_params
from storage.plan_records import NewStep
from storage.records import AuditDraft, NewRequest, new_request_id

GATE_OPERATION = {1: "MemberPlanGate1", 2: "MemberPlanGate2", 3: "MemberPlanRollback"}


def abandoned(gate_params: Mapping[str, Any]) -> list[str]:
    """The AbandonableCheckId a gate will send (a JSON array on the wire), in order."""
    found: list[str] = []
    for step in gate_params.get("steps", []):
        value = str(step.get("params", {}).get("AbandonableCheckId") or "")
        if value.startswith("["):
            found += [str(v) for v in json.loads(value)]
        elif value:
            found += value.split(",")
    return found


def step_request_id(gate_id: str, key: str) -> str:
    """The id a step is sent under (BssOpenApi derives its RequestId from it)."""
    return f"{gate_id}:{key}"


def required(rules: ApprovalRules, operation: str, steps: Sequence[Step]) -> int:
    """The approvals the strictest step would need alone, and never fewer than a
    destructive request's: the door counts a gate as one (no catalog spec names it)."""
    counts = [1, rules.required_approvals(operation, destructive=True)]
    for step in steps:
        spec = get_spec(step.action)
        op_class = spec.classify(validate_params(spec, dict(step.params)))
        counts.append(
            rules.required_approvals(
                step.action, destructive=op_class is OperationClass.DESTRUCTIVE
            )
        )
    return max(counts)


def new_gate(
    *,
    plan_id: str,
    gate: int,
    steps: Sequence[Step],
    requester: str,
    requester_team: str | None,
    reason: str,
    channel: str | None,
    rules: ApprovalRules,
    now: datetime,
) -> tuple[NewRequest, list[NewStep]]:
    """The gate's request (PENDING) and its step rows, ids tied together."""
    gate_id = new_request_id()
    rows = [
        NewStep(
            ordinal=number,
            key=step.key,
            action=step.action,
            step=step_to_json(step),
            signed=signed_params(step, step_request_id(gate_id, step.key)),
        )
        for number, step in enumerate(steps, start=1)
    ]
    params: dict[str, Any] = {
        "plan_id": plan_id,
        "gate": gate,
        "steps": [{"key": r.key, "action": r.action, "params": r.signed} for r in rows],
    }
    request = NewRequest(
        id=gate_id,
        operation=GATE_OPERATION[gate],
        params=params,
        requester=requester,
        requester_team=requester_team,
        reason=reason,
        destructive=True,
        required_approvals=required(rules, GATE_OPERATION[gate], steps),
        expires_at=now + rules.request_ttl,
        channel=channel,
        plan_id=plan_id,
        gate=gate,
    )
    return request, rows


def submitted(gate: NewRequest) -> AuditDraft:
    """The gate's ``request.submitted`` event, as a single request's (the audit check
    that every executed request was submitted and approved holds for gates too)."""
    facts: dict[str, Any] = {"operation": gate.operation, "params": gate.params}
    facts |= {"reason": gate.reason, "class": "destructive", "destructive": True}
    facts["required"] = gate.required_approvals
    return AuditDraft("request.submitted", gate.requester, facts, gate.id)
