"""Submit, decide, cancel and expire: the pure rules composed with the repository.

Each step runs the pure rules of :mod:`bot.approvals.rules` inside ``Repository.apply``, which
locks the request row, so the rules always see the latest reviews and the decision, the
status change, its audit events and the event that tells it (:mod:`bot.events`, as
outbox drafts) commit together or not at all. Each step returns a value the Slack layer
renders: :class:`Done` (what changed) or :class:`Refused` (words for an ephemeral reply).

Second factor: :meth:`Workflow.decide` takes the person's ``assurance`` and, for a step-up,
a :class:`~bot.approvals.changes.Proof` whose guards spend the code in the decision's own
transaction (:mod:`bot.approvals.step_up`); decisions store their assurance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot import events
from bot.approvals.changes import Proof, refusal_change, to_request, to_reviews, transition_change
from bot.approvals.policy import ApprovalRules
from bot.approvals.reasons import reason_problem
from bot.approvals.rules import Refusal, Transition, apply_review, cancel, expire
from bot.approvals.tally import Review
from commands.catalog import OperationClass, OperationSpec
from storage.errors import RequestNotFound
from storage.records import (
    AuditDraft,
    Change,
    DecisionRecord,
    NewRequest,
    RequestRecord,
)
from storage.repository import Repository
from storage.states import Assurance, Status, Vote


@dataclass(frozen=True)
class Done:
    """The step happened; ``message`` confirms it to the person who acted."""

    request_id: str
    status: Status
    event: str
    message: str


@dataclass(frozen=True)
class Refused:
    """Nothing changed, and why. ``noop`` marks a harmless repeat (show it as information);
    ``field`` names the modal input the message belongs to, if any."""

    request_id: str | None
    reason: str
    message: str
    noop: bool = False
    field: str | None = None


@dataclass(frozen=True)
class Submitted:
    """A new request is stored (and announced through the outbox)."""

    request: RequestRecord


_CONFIRM = {
    "decided": "Your {vote} was recorded ({count} of {required} approvals).",
    "approved": "Your approval was recorded; the request is approved and will run now.",
    "rejected": "Your rejection was recorded; the request is rejected.",
    "cancelled": "The request is cancelled.",
    "expired": "The request has expired.",
}


class Workflow:
    """The approval workflow over one repository and one policy.

    ``on_approved`` is called after a commit that approved a request (for example the
    worker's ``threading.Event.set``), so the worker starts at once in this process.
    """

    def __init__(
        self,
        repo: Repository,
        rules: ApprovalRules,
        *,
        on_approved: Callable[[], None] | None = None,
    ) -> None:
        self.repo = repo
        self.rules = rules
        self._on_approved = on_approved

    def submit(
        self,
        *,
        spec: OperationSpec,
        params: BaseModel,
        requester: str,
        reason: str,
        now: datetime,
        requester_team: str | None = None,
        channel: str | None = None,
        prechecks: Any = None,
        submission_key: str | None = None,
    ) -> Submitted | Refused:
        """Store a new request, PENDING until other people approve it; never approved here.

        A read is refused (it needs no approval: ``offboard-bot call`` runs it). Every
        request changes the cloud, so every one needs a reason of a few real words: the
        approvers of a write judge it from that reason as much as for a destructive call,
        and the audit log keeps why the cloud was changed.
        """
        op_class = spec.classify(params)
        if not op_class.changes_cloud:
            why = (
                f"{spec.action} only reads, so it needs no approval and is never a request; "
                f"run it with `offboard-bot call {spec.action} ...`."
            )
            return self.refuse(requester, spec.action, "read_only", why, now, field="operation")
        problem = reason_problem(reason)
        if problem is not None:
            return self.refuse(requester, spec.action, "reason_too_short", problem, now, "reason")
        destructive = op_class is OperationClass.DESTRUCTIVE
        required = self.rules.required_approvals(spec.action, destructive=destructive)
        new = NewRequest(
            operation=spec.action,
            params=params.model_dump(mode="json", exclude_none=True),
            requester=requester,
            reason=reason.strip(),
            destructive=destructive,
            required_approvals=required,
            expires_at=now + self.rules.request_ttl,
            requester_team=requester_team,
            channel=channel,
            prechecks=prechecks,
            submission_key=submission_key,
        )
        return Submitted(self._file(new, op_class, now))

    def _file(self, new: NewRequest, op_class: OperationClass, now: datetime) -> RequestRecord:
        """Store ``new`` with its audit event and the card's first announcement."""
        facts: dict[str, Any] = {"operation": new.operation, "params": new.params}
        facts |= {"reason": new.reason, "class": op_class.value}
        facts |= {"destructive": new.destructive, "required": new.required_approvals}
        submitted = events.Submitted(request_id=new.id, actor=new.requester)
        return self.repo.create_request(
            new,
            audit=(AuditDraft("request.submitted", new.requester, facts, new.id),),
            announcements=events.drafts(submitted),
            now=now,
        )

    def refuse(
        self,
        user: str,
        operation: str,
        reason: str,
        message: str,
        now: datetime,
        field: str | None = None,
    ) -> Refused:
        """Audit a refused filing (``request.refused``) and return it; nothing is stored."""
        self.repo.append_audit(
            AuditDraft("request.refused", user, {"operation": operation, "reason": reason}),
            now,
        )
        return Refused(None, reason, message, field=field)

    def decide(
        self,
        request_id: str,
        user: str,
        vote: Vote,
        now: datetime,
        *,
        assurance: Assurance = Assurance.SLACK_ACCOUNT,
        proof: Proof | None = None,
    ) -> Done | Refused:
        """Record ``user``'s approve/reject; a repeat is a harmless no-op.

        ``proof`` is written only with an accepted decision; if a guard of it loses,
        nothing is written and ``GuardLost`` is raised."""
        policy = self.rules.snapshot()
        review = Review(user, vote, now, assurance)

        def rule(record: RequestRecord, decisions: list[DecisionRecord]) -> Change:
            request = to_request(record)
            outcome = apply_review(request, to_reviews(decisions), review, policy, now)
            if isinstance(outcome, Transition):
                return transition_change(record, outcome, now, proof, seal=self.rules.seal)
            change = refusal_change(record, outcome, user, vote.value)
            expired = expire(request, now)
            if expired is not None:
                # Too late and nobody swept it yet: expire it in the same transaction.
                late = transition_change(record, expired, now)
                return Change(
                    status=late.status,
                    finished_at=late.finished_at,
                    audit=change.audit + late.audit,
                    announcements=late.announcements,
                    outcome=outcome,
                )
            return change

        return self._run(request_id, rule, now, vote=vote.value)

    def cancel(self, request_id: str, user: str, now: datetime) -> Done | Refused:
        """The requester withdraws a request that is still PENDING."""

        def rule(record: RequestRecord, _: list[DecisionRecord]) -> Change:
            outcome = cancel(to_request(record), user, now)
            if isinstance(outcome, Transition):
                return transition_change(record, outcome, now)
            return refusal_change(record, outcome, user, "cancel")

        return self._run(request_id, rule, now)

    def sweep_expired(self, now: datetime) -> list[str]:
        """Expire every PENDING request past its TTL and APPROVED one past its window.

        Returns the ids expired. Each is re-checked under the row lock, so a request that
        was decided in the meantime is left alone.
        """
        return sweep_expired(self.repo, now)

    def _run(
        self,
        request_id: str,
        rule: Callable[[RequestRecord, list[DecisionRecord]], Change],
        now: datetime,
        vote: str = "",
    ) -> Done | Refused:
        try:
            _, change = self.repo.apply(request_id, rule, now=now)
        except RequestNotFound:
            return Refused(request_id, "not_found", f"There is no request {request_id}.")
        outcome = change.outcome
        if isinstance(outcome, Refusal):
            return Refused(request_id, outcome.reason.value, outcome.message, noop=outcome.is_noop)
        assert isinstance(outcome, Transition)
        if outcome.status is Status.APPROVED and outcome.changed_status:
            self._wake()
        tally = outcome.tally
        message = _CONFIRM[outcome.event].format(
            vote={"approve": "approval", "reject": "rejection"}.get(vote, "decision"),
            count=len(tally.approvals) if tally else 0,
            required=tally.required if tally else 0,
        )
        return Done(request_id, outcome.status, outcome.event, message)

    def _wake(self) -> None:
        if self._on_approved is not None:
            self._on_approved()


def sweep_expired(repo: Repository, now: datetime) -> list[str]:
    """Expire what is past its clock (see :meth:`Workflow.sweep_expired`)."""
    expired: list[str] = []
    for record in repo.due_for_expiry(now):

        def rule(current: RequestRecord, _: list[DecisionRecord]) -> Change:
            transition = expire(to_request(current), now)
            if transition is None:
                return Change()
            return transition_change(current, transition, now)

        _, change = repo.apply(record.id, rule, now=now)
        if isinstance(change.outcome, Transition):
            expired.append(record.id)
    return expired
