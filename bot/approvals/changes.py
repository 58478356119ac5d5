"""Stored records to the pure rules' values, and accepted steps to storage ``Change``s.

The seam between :mod:`bot.approvals.rules` (pure) and ``Repository.apply``: what a transition
persists (decision, status, times), its audit events, and its announcements in the
payload shape the Slack layer renders (see :mod:`bot.approvals.workflow`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.approvals.rules import Refusal, Request, Review, Transition
from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    Change,
    DecisionRecord,
    NewDecision,
    RequestRecord,
)
from storage.states import Status, Vote


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
    """Stored decisions as reviews.

    Decisions do not store an assurance yet, so each reads back as a Slack-account click;
    requiring a second factor will add that column.
    """
    return [Review(d.user_id, Vote(d.vote), d.created_at) for d in decisions]


def announcements(
    request_id: str, transition: Transition, extra: dict[str, Any] | None = None
) -> tuple[AnnouncementDraft, ...]:
    """Outbox drafts for a transition, in the payload shape the Slack layer renders."""
    drafts = []
    for item in transition.announcements:
        payload = {
            "request_id": request_id,
            "event": item.event,
            "actor": transition.actor,
            **dict(item.data),
            **(extra or {}),
        }
        drafts.append(AnnouncementDraft(kind=item.kind, payload=payload))
    return tuple(drafts)


def transition_change(record: RequestRecord, transition: Transition, now: datetime) -> Change:
    """Everything to persist for an accepted step, audit included."""
    audit: list[AuditDraft] = []
    decision = None
    if transition.review is not None:
        decision = NewDecision(user_id=transition.review.user, vote=transition.review.vote.value)
        data: dict[str, Any] = {"vote": decision.vote}
        if transition.tally is not None:
            data.update(transition.tally.as_data())
        audit.append(AuditDraft("decision.recorded", transition.actor, data, record.id))
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
    return Change(
        decision=decision,
        status=transition.status.value if transition.changed_status else None,
        approved_at=now if approved else None,
        execute_by=transition.execute_by,
        finished_at=now if transition.changed_status and transition.status.is_final else None,
        audit=tuple(audit),
        announcements=announcements(record.id, transition),
        outcome=transition,
    )


def refusal_change(record: RequestRecord, refusal: Refusal, actor: str, action: str) -> Change:
    """A refusal changes nothing but is still an audit event (who tried what, and why not)."""
    data = {"action": action, "reason": refusal.reason.value, "status": refusal.status.value}
    return Change(
        audit=(AuditDraft("decision.refused", actor, data, record.id),),
        outcome=refusal,
    )
