"""Rolling back the reversible phase while gate 2 waits: a request of its own.

The undo of each step gate 1 carried out (``Step.rollback``: RegisterDelegatedAdministrator
for each service deregistered, AttachHostAccountsToUser with exactly the hosts and
accounts detached), last done first, is filed as the plan's rollback gate: approved by
the same rules as any gate, by other people, before anything is sent. Gate 2, if it is
pending, is cancelled in the same transaction: a plan being rolled back deletes nothing.
A step with no API to undo it (a relieved finance relation) is named, not undone.
"""

from __future__ import annotations

from datetime import datetime

from bot import plan_events as told
from bot.approvals.policy import ApprovalRules
from bot.events import drafts
from bot.plans.codec import step_from_json
from bot.plans.gates import new_gate, submitted
from bot.plans.phases import current_gate
from commands.member_plan import Step
from storage.plan_records import PlanRecord
from storage.records import AuditDraft
from storage.repository import Repository
from storage.states import PlanState, Status, StepState

ROLLBACK_GATE = 3


def undo_steps(repo: Repository, plan: PlanRecord) -> tuple[list[Step], list[str]]:
    """The undo calls of what gate 1 did, last done first; and what cannot be undone."""
    gate = current_gate(repo, plan.id, 1)
    done = [s for s in repo.steps_of(gate.id) if s.state is StepState.DONE] if gate else []
    done.sort(key=lambda s: (s.finished_at is None, s.finished_at, s.ordinal))
    undo: list[Step] = []
    kept: list[str] = []
    for record in reversed(done):
        step = step_from_json(record.step)
        if step.irreversible:
            kept.append(f"{step.action} {step.key}: {step.irreversible}")
        undo.extend(step.rollback)
    return undo, kept


def rollback(
    repo: Repository, rules: ApprovalRules, plan: PlanRecord, *, user: str, now: datetime
) -> str | None:
    """File the rollback gate; None when filed, else why not."""
    if user != plan.requester:
        return "Only the requester asks for a rollback."
    if plan.state not in (PlanState.GATE2, PlanState.BLOCKED):
        return "A rollback is offered while gate 2 waits (or the plan is blocked before it)."
    undo, kept = undo_steps(repo, plan)
    if not undo:
        return "Nothing the plan did can be undone through an API."
    pending = current_gate(repo, plan.id, 2)
    cancel = pending.id if pending is not None and pending.status is Status.PENDING else None
    gate, steps = new_gate(
        plan_id=plan.id,
        gate=ROLLBACK_GATE,
        steps=undo,
        requester=plan.requester,
        requester_team=plan.requester_team,
        reason=plan.reason,
        channel=plan.channel,
        rules=rules,
        now=now,
    )
    facts: dict[str, object] = {"plan_id": plan.id, "steps": [s.key for s in undo]}
    facts["not_undone"] = kept
    moved = repo.open_gate(
        plan.id,
        [plan.state],
        PlanState.ROLLBACK,
        gate,
        steps,
        cancel=cancel,
        audit=(
            AuditDraft("plan.rollback_asked", user, facts),
            submitted(gate),
        ),
        announcements=drafts(told.RollbackOpened(plan_id=plan.id, kept=tuple(kept))),
        now=now,
    )
    return None if moved else "The plan moved on meanwhile: nothing was filed."
