"""Stored records to the pure rules' values, and accepted steps to storage ``Change``s.

The seam between :mod:`bot.approvals.rules` (pure) and ``Repository.apply``: what a transition
persists (decision, status, times), its audit events, and the outbox drafts of the
event that tells it (:mod:`bot.events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.approvals.rules import Refusal, Transition
from bot.approvals.seal import DecisionSeal, binding
from bot.approvals.tally import Policy, Request, Review, Tally, tally
from bot.events import RequestEvent, drafts, thread_of
from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    Change,
    DecisionRecord,
    Guard,
    NewDecision,
    RequestRecord,
)
from storage.states import Status, Vote


@dataclass(frozen=True)
class Proof:
    """How an approver proved themselves beyond Slack, to be persisted with the decision.

    ``method`` (``"totp"``, ``"recovery_code"``) goes into the decision's audit event;
    ``guards`` spend the proof in the decision's transaction; ``audit`` and
    ``announcements`` are written with it (a recovery code's use is announced, say).
    """

    method: str
    guards: tuple[Guard, ...] = ()
    audit: tuple[AuditDraft, ...] = ()
    announcements: tuple[AnnouncementDraft, ...] = ()


def to_request(record: RequestRecord) -> Request:
    """The pure rules' view of a stored request."""
    return Request(
        id=record.id,
        operation=record.operation,
        requester=record.requester,
        status=Status(record.status),
        expires_at=record.expires_at,
        required_approvals=record.required_approvals,
        execute_by=record.execute_by,
    )


def to_reviews(decisions: Iterable[DecisionRecord]) -> list[Review]:
    """Stored decisions as reviews, each with the assurance it was recorded with."""
    return [Review(d.user_id, Vote(d.vote), d.created_at, d.assurance) for d in decisions]


def counted(record: RequestRecord, decisions: Sequence[DecisionRecord], policy: Policy) -> Tally:
    """The approvals that count for ``record`` under ``policy`` now, as the rules count them.

    The one count for every place that shows or checks one (the card, ``/offboard
    status`` and ``list``, the worker's door): only approvals of current approvers at the
    required assurance, once each, never the requester's.
    """
    return tally(to_request(record), to_reviews(decisions), policy)


def transition_change(
    record: RequestRecord,
    transition: Transition,
    now: datetime,
    proof: Proof | None = None,
    seal: DecisionSeal | None = None,
) -> Change:
    """Everything to persist for an accepted step, audit included (and ``proof``'s parts).

    A decision is bound to the request as it is now and, with a key, sealed."""
    decision, audit = _decision(record, transition, proof, seal)
    if transition.changed_status:
        audit.append(
            AuditDraft(
                f"request.{transition.status.value.lower()}",
                transition.actor,
                {"from": transition.previous.value, "to": transition.status.value},
                record.id,
            )
        )
    approved = transition.status is Status.APPROVED and transition.changed_status
    extra = proof or Proof("")
    return Change(
        decision=decision,
        status=transition.status if transition.changed_status else None,
        approved_at=now if approved else None,
        execute_by=transition.execute_by,
        finished_at=now if transition.changed_status and transition.status.is_final else None,
        audit=(*audit, *extra.audit),
        announcements=(*drafts(_told(transition, record)), *extra.announcements),
        guards=extra.guards,
        outcome=transition,
    )


def _told(transition: Transition, record: RequestRecord) -> RequestEvent:
    news = transition.news
    where = thread_of(record)
    return news if where is None else news.model_copy(update={"thread": where})


def _decision(
    record: RequestRecord, transition: Transition, proof: Proof | None, seal: DecisionSeal | None
) -> tuple[NewDecision | None, list[AuditDraft]]:
    """The decision to store for ``transition`` (bound and, with a key, sealed) and its
    audit event; nothing when the step records no review."""
    review = transition.review
    if review is None:
        return None, []
    bound = binding(record.id, record.operation, record.params)
    signed = (
        seal.sign(record.id, review.user, review.vote.value, review.assurance, bound)
        if seal is not None
        else None
    )
    decision = NewDecision(review.user, review.vote, review.assurance, binding=bound, seal=signed)
    data: dict[str, Any] = {"vote": review.vote.value, "assurance": review.assurance.name.lower()}
    if proof is not None:
        data["method"] = proof.method
    if transition.tally is not None:
        data.update(transition.tally.as_data())
    return decision, [AuditDraft("decision.recorded", transition.actor, data, record.id)]


def refusal_change(record: RequestRecord, refusal: Refusal, actor: str, action: str) -> Change:
    """A refusal changes nothing but is still an audit event (who tried what, and why not)."""
    data = {"action": action, "reason": refusal.reason.value, "status": refusal.status.value}
    return Change(
        audit=(AuditDraft("decision.refused", actor, data, record.id),),
        outcome=refusal,
    )
