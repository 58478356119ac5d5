"""Between and around the gates: the fresh check, gate 2, the requester's choices.

Every move is one conditional transaction on the plan's state (``move_plan`` /
``open_gate``), so two replicas, or a person clicking twice, move a plan once.

- ``recheck``: CHECKING -> GATE2 (a fresh CheckAccountDelete allows deletion: gate 2 is
  filed with DeleteAccount abandoning nothing) or BLOCKED (each blocker named).
- ``choose``: the requester's AbandonableCheckId; a different choice cancels gate 2 and
  files it again with the new parameters, so approvals given to the old list never
  count for the new one.
- ``retry`` / ``skip`` / ``abandon``: a stopped plan, by its requester.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from bot import plan_events as told
from bot.approvals.policy import ApprovalRules
from bot.approvals.workflow import Workflow
from bot.events import drafts
from bot.plans.codec import step_from_json
from bot.plans.gates import abandoned, new_gate, submitted
from commands.client import CloudClient
from commands.errors import ParameterError
from commands.member_plan import CheckPoll, CloudReader, DeletionCheck, Step, recheck
from commands.member_plan.steps import deletion_step
from storage.plan_records import PlanRecord
from storage.records import AuditDraft, RequestRecord
from storage.repository import Repository
from storage.states import PlanState, Status, StepState


def current_gate(repo: Repository, plan_id: str, gate: int) -> RequestRecord | None:
    """The plan's gate ``gate``. Gate 2 is filed again after a new choice of checks, each
    filing cancelling the one before: the one not cancelled is the gate."""
    found = [g for g in repo.gates_of(plan_id) if g.gate == gate]
    live = [g for g in found if g.status is not Status.CANCELLED]
    return (live or found)[-1] if found else None


def check_json(check: DeletionCheck) -> dict[str, object]:
    return {
        "complete": check.complete,
        "allow_delete": check.allow_delete,
        "not_allowed": [asdict(i) for i in check.not_allowed],
        "abandonable": [asdict(i) for i in check.abandonable],
        "failure": str(check.failure) if check.failure else None,
    }


def recheck_plan(
    repo: Repository,
    cloud: CloudClient,
    rules: ApprovalRules,
    plan: PlanRecord,
    *,
    actor: str,
    now: datetime,
    poll: CheckPoll | None = None,
) -> bool:
    """A fresh check, then gate 2 or BLOCKED; False when another moved the plan first."""
    fresh = recheck(CloudReader(cloud), plan.account_id, poll)
    facts = {"plan_id": plan.id, **check_json(fresh)}
    audit = (AuditDraft("plan.rechecked", actor, facts),)
    values: dict[str, object] = {"fresh_check": check_json(fresh)}
    if not (fresh.complete and fresh.allow_delete):
        return repo.move_plan(
            plan.id,
            [PlanState.CHECKING],
            PlanState.BLOCKED,
            values=values,
            audit=audit,
            announcements=drafts(told.Blocked(plan_id=plan.id)),
            now=now,
        )
    return _file_gate2(repo, rules, plan, [PlanState.CHECKING], (), values, audit, now, None)


def choose(
    repo: Repository,
    rules: ApprovalRules,
    plan: PlanRecord,
    abandon: Sequence[str],
    *,
    user: str,
    now: datetime,
) -> str | None:
    """The requester's choice of checks to abandon; None when done, else why not."""
    if user != plan.requester:
        return "Only the requester chooses the checks to abandon."
    gate = current_gate(repo, plan.id, 2)
    if plan.state is not PlanState.GATE2 or gate is None or gate.status is not Status.PENDING:
        return "Gate 2 is not waiting for approval: the choice can no longer change."
    offered = {str(i["check_id"]) for i in (plan.fresh_check or {}).get("abandonable", [])}
    if any(c not in offered for c in abandon) or len(set(abandon)) != len(abandon):
        return "Choose only checks the fresh deletion check offers as abandonable, each once."
    chosen = sorted(abandon)
    if sorted(abandoned(gate.params)) == chosen:
        return None  # the same choice: gate 2 and its approvals stay as they are
    audit = (
        AuditDraft("plan.checks_chosen", user, {"plan_id": plan.id, "abandon": chosen}, gate.id),
    )
    moved = _file_gate2(repo, rules, plan, [PlanState.GATE2], chosen, {}, audit, now, gate.id)
    return None if moved else "Gate 2 was decided meanwhile: the choice did not change."


def _file_gate2(
    repo: Repository,
    rules: ApprovalRules,
    plan: PlanRecord,
    expect: list[PlanState],
    abandon: Sequence[str],
    values: dict[str, object],
    audit: tuple[AuditDraft, ...],
    now: datetime,
    cancel: str | None,
) -> bool:
    deletion = plan.proposal.get("deletion")
    if deletion is None:
        raise ParameterError({"operation": "This plan proposes no deletion."})
    step: Step = deletion_step(plan.account_id, abandon, after=step_from_json(deletion).after)
    gate, steps = new_gate(
        plan_id=plan.id,
        gate=2,
        steps=[step],
        requester=plan.requester,
        requester_team=plan.requester_team,
        reason=plan.reason,
        channel=plan.channel,
        rules=rules,
        now=now,
    )
    return repo.open_gate(
        plan.id,
        expect,
        PlanState.GATE2,
        gate,
        steps,
        cancel=cancel,
        values=values,
        audit=(*audit, submitted(gate)),
        announcements=drafts(told.Gate2Opened(plan_id=plan.id, request_id=gate.id)),
        now=now,
    )


def again(repo: Repository, plan: PlanRecord, *, user: str, now: datetime) -> str | None:
    """The requester's re-check of a BLOCKED plan: back to CHECKING (no new plan)."""
    if user != plan.requester:
        return "Only the requester re-checks the plan."
    moved = repo.move_plan(
        plan.id,
        [PlanState.BLOCKED],
        PlanState.CHECKING,
        audit=(AuditDraft("plan.recheck_asked", user, {"plan_id": plan.id}),),
        announcements=drafts(told.Moved(plan_id=plan.id, to=PlanState.CHECKING)),
        now=now,
    )
    return None if moved else "The plan is not blocked: nothing to re-check."


def stopped_step(repo: Repository, plan: PlanRecord) -> tuple[RequestRecord, int] | None:
    """The gate and the id of the step that stopped the plan."""
    for number in (3, 2, 1):
        gate = current_gate(repo, plan.id, number)
        if gate is None or gate.status is not Status.EXECUTING:
            continue
        for step in repo.steps_of(gate.id):
            if step.state in (StepState.FAILED, StepState.UNKNOWN):
                return gate, step.id
    return None


def resume(
    repo: Repository, plan: PlanRecord, *, user: str, now: datetime, skip: str | None = None
) -> str | None:
    """Retry the stopped step (``skip`` None) or skip it with a reason; audited."""
    if user != plan.requester:
        return "Only the requester retries or skips a step."
    found = stopped_step(repo, plan) if plan.state is PlanState.STOPPED else None
    if found is None:
        return "The plan is not stopped at a step."
    gate, step_id = found
    if skip is None and (gate.execute_by is None or now >= gate.execute_by):
        return "The gate's execution window has passed: start a new plan to try again."
    to = StepState.PLANNED if skip is None else StepState.SKIPPED
    event = "plan.step_retried" if skip is None else "plan.step_skipped"
    done = repo.reset_step(
        step_id,
        [StepState.FAILED, StepState.UNKNOWN],
        to,
        now=now,
        skip_reason=skip,
        audit=(AuditDraft(event, user, {"plan_id": plan.id, "step_id": step_id, "reason": skip}),),
        announcements=drafts(
            told.StepResumed(plan_id=plan.id, step_id=step_id, skipped=skip is not None)
        ),
    )
    running = {1: PlanState.REVERSIBLE, 2: PlanState.DELETING}.get(
        gate.gate or 0, PlanState.ROLLING_BACK
    )
    if done:
        repo.move_plan(
            plan.id,
            [PlanState.STOPPED],
            running,
            announcements=drafts(told.Moved(plan_id=plan.id, to=running)),
            now=now,
        )
    return None if done else "The step changed meanwhile."


def abandon(
    repo: Repository, rules: ApprovalRules, plan: PlanRecord, *, user: str, now: datetime
) -> str | None:
    """The requester ends the plan; a gate under way ends FAILED, a pending one CANCELLED."""
    if user != plan.requester:
        return "Only the requester abandons the plan."
    live = [s for s in PlanState if not s.is_final]
    moved = repo.move_plan(
        plan.id,
        live,
        PlanState.ABANDONED,
        audit=(AuditDraft("plan.abandoned", user, {"plan_id": plan.id, "was": plan.state.value}),),
        announcements=drafts(told.Abandoned(plan_id=plan.id)),
        now=now,
    )
    if not moved:
        return "The plan has already ended."
    for gate in repo.gates_of(plan.id):
        if gate.status is Status.EXECUTING:
            repo.finish_gate(gate.id, Status.FAILED, now=now)
        elif gate.status is Status.PENDING:  # its approvals can no longer start anything
            Workflow(repo, rules).cancel(gate.id, user, now)
    return None
