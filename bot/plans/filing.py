"""Filing a member plan: discover, propose, store it with gate 1, queue its card.

Runs after the modal's ack (the reads take seconds). Discovery never raises: a read that
failed is named on the card and the plan proposes nothing. The plan, gate 1, its steps,
the audit events and the announcements commit together, so the card shows only what is
stored; a replayed submission files nothing (the view id is the plan's submission key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot import plan_events as told
from bot.approvals.policy import ApprovalRules
from bot.events import drafts
from bot.plans.codec import proposal_to_json
from bot.plans.gates import new_gate, submitted
from commands.client import CloudClient
from commands.member_plan import BastionUser, CheckPoll, CloudReader, Proposal, discover, propose
from storage.plan_records import NewPlan, NewStep, PlanRecord
from storage.records import AuditDraft, NewRequest
from storage.repository import Repository
from storage.states import PlanState


@dataclass(frozen=True)
class PlanAsk:
    """What the requester asked for, as the modal gave it (already validated)."""

    account_id: str
    users: tuple[BastionUser, ...]
    requester: str
    reason: str
    requester_team: str | None = None
    channel: str | None = None
    submission_key: str | None = None


def file_plan(
    repo: Repository,
    cloud: CloudClient,
    rules: ApprovalRules,
    ask: PlanAsk,
    *,
    clock: Callable[[], datetime],
    poll: CheckPoll | None = None,
) -> PlanRecord:
    """Discover and store the plan; raises DuplicateSubmission for a replay."""
    found = discover(CloudReader(cloud), ask.account_id, ask.users, poll=poll)
    proposal = propose(found)
    return store(repo, rules, ask, proposal, reads=found.reads, now=clock())


def store(
    repo: Repository,
    rules: ApprovalRules,
    ask: PlanAsk,
    proposal: Proposal,
    *,
    reads: int,
    now: datetime,
) -> PlanRecord:
    """The plan as proposed: REFUSED (nothing to approve), GATE1, or CHECKING when the
    reversible phase has no step (gate 2 opens after the fresh check)."""
    if not proposal.proposed:
        state = PlanState.REFUSED
    else:
        state = PlanState.GATE1 if proposal.steps else PlanState.CHECKING
    plan = NewPlan(
        account_id=ask.account_id,
        requester=ask.requester,
        requester_team=ask.requester_team,
        reason=ask.reason,
        state=state,
        proposal=proposal_to_json(proposal) | {"users": [str(u) for u in ask.users]},
        channel=ask.channel,
        submission_key=ask.submission_key,
    )
    gate: NewRequest | None = None
    steps: list[NewStep] = []
    if state is PlanState.GATE1:
        gate, steps = new_gate(
            plan_id=plan.id,
            gate=1,
            steps=proposal.steps,
            requester=ask.requester,
            requester_team=ask.requester_team,
            reason=ask.reason,
            channel=ask.channel,
            rules=rules,
            now=now,
        )
    audit = [AuditDraft("plan.proposed", ask.requester, _facts(plan, ask, proposal, reads))]
    if gate is not None:
        audit.append(submitted(gate))
    # Either gate 1 waits, or (REFUSED) the requester learns nothing will happen, and why.
    news = told.Proposed(plan_id=plan.id) if gate else told.NothingProposed(plan_id=plan.id)
    announcements = drafts(news)
    return repo.create_plan(plan, gate, steps, audit=audit, announcements=announcements, now=now)


def _facts(plan: NewPlan, ask: PlanAsk, proposal: Proposal, reads: int) -> dict[str, object]:
    return {
        "plan_id": plan.id,
        "account_id": ask.account_id,
        "users": [str(u) for u in ask.users],
        "reason": ask.reason,
        "state": plan.state.value,
        "reads": reads,
        "steps": [s.key for s in proposal.steps],
        "refusals": list(proposal.refusals),
    }
