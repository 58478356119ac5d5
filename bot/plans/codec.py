"""A plan :class:`~commands.member_plan.Step` to and from plain JSON, and the proposal as
the card shows it. Stored with each step, so a runner on any replica, after any
restart, verifies and settles exactly the step that was approved."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from commands.member_plan import Check, Proposal, Step


def check_to_json(check: Check) -> dict[str, Any]:
    return {
        "action": check.action,
        "params": dict(check.params),
        "expect": check.expect,
        "absent": list(check.absent),
        "present": list(check.present),
        "empty": check.empty,
    }


def check_from_json(data: Mapping[str, Any]) -> Check:
    return Check(
        action=str(data["action"]),
        params=MappingProxyType({str(k): str(v) for k, v in data["params"].items()}),
        expect=str(data["expect"]),
        absent=tuple(str(x) for x in data.get("absent", ())),
        present=tuple(str(x) for x in data.get("present", ())),
        empty=bool(data.get("empty", False)),
    )


def step_to_json(step: Step) -> dict[str, Any]:
    return {
        "key": step.key,
        "phase": step.phase,
        "action": step.action,
        "params": dict(step.params),
        "clears": step.clears,
        "irreversible": step.irreversible,
        "after": list(step.after),
        "checks": [check_to_json(c) for c in step.checks],
        "rollback": [step_to_json(r) for r in step.rollback],
    }


def step_from_json(data: Mapping[str, Any]) -> Step:
    return Step(
        key=str(data["key"]),
        phase=data["phase"],
        action=str(data["action"]),
        params=MappingProxyType({str(k): str(v) for k, v in data["params"].items()}),
        clears=str(data["clears"]),
        rollback=tuple(step_from_json(r) for r in data.get("rollback", ())),
        irreversible=str(data.get("irreversible", "")),
        after=tuple(str(k) for k in data.get("after", ())),
        checks=tuple(check_from_json(c) for c in data.get("checks", ())),
    )


def proposal_to_json(proposal: Proposal) -> dict[str, Any]:
    """What the card shows besides the steps: who, blockers for people, why nothing."""
    return {
        "member_name": proposal.member_name,
        "blockers": [
            {
                "check_id": b.item.check_id,
                "name": b.item.name,
                "description": b.item.description,
                "who": b.who,
                "what": b.what,
            }
            for b in proposal.blockers
        ],
        "abandonable": [
            {"check_id": c.check_id, "name": c.name, "description": c.description}
            for c in proposal.abandonable
        ],
        "refusals": list(proposal.refusals),
        "failures": [str(f) for f in proposal.failures],
        "deletion": step_to_json(proposal.deletion) if proposal.deletion else None,
    }
