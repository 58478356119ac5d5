"""Small builders that make worlds: a requester, approvers, a member account."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    Change,
    DecisionRecord,
    NewDecision,
    NewRequest,
    RequestRecord,
)
from storage.repository import Decide, Repository

REQUESTER = "UREQUESTER"
APPROVERS = ("UALICE", "UBOB", "UCAROL")
MEMBER = "1699461245510000"
WINDOW = timedelta(minutes=15)


def new_request(now: datetime, *, required: int = 2, **overrides: object) -> NewRequest:
    """A PENDING DeleteAccount request for the demo member account."""
    fields: dict[str, object] = {
        "operation": "DeleteAccount",
        "params": {"AccountId": MEMBER},
        "requester": REQUESTER,
        "reason": "member account closed with the contract",
        "destructive": True,
        "required_approvals": required,
        "expires_at": now + timedelta(days=1),
    }
    fields.update(overrides)
    return NewRequest(**fields)  # type: ignore[arg-type]


def submit(repo: Repository, now: datetime, **overrides: object) -> RequestRecord:
    """Create a request with its 'created' audit event and card announcement."""
    return repo.create_request(
        new_request(now, **overrides),
        audit=[AuditDraft("request.created", REQUESTER, {"operation": "DeleteAccount"})],
        announcements=[AnnouncementDraft("card", {"event": "submitted"})],
        now=now,
    )


def vote(user: str, now: datetime, *, vote: str = "approve") -> Decide:
    """A stand-in for bot's rules: PENDING only, one vote per person, approve at N."""

    def decide(request: RequestRecord, decisions: list[DecisionRecord]) -> Change:
        if request.status != "PENDING" or any(d.user_id == user for d in decisions):
            return Change(outcome="refused")
        if vote == "reject":
            return Change(
                decision=NewDecision(user, "reject"),
                status="REJECTED",
                finished_at=now,
                audit=(AuditDraft("decision.rejected", user),),
                announcements=(AnnouncementDraft("card", {"event": "rejected"}),),
            )
        approvals = 1 + sum(d.vote == "approve" for d in decisions)
        audit = [AuditDraft("decision.approved", user, {"approvals": approvals})]
        if approvals < request.required_approvals:
            return Change(decision=NewDecision(user, "approve"), audit=tuple(audit))
        audit.append(AuditDraft("request.approved", None, {"approvals": approvals}))
        return Change(
            decision=NewDecision(user, "approve"),
            status="APPROVED",
            approved_at=now,
            execute_by=now + WINDOW,
            audit=tuple(audit),
            announcements=(AnnouncementDraft("card", {"event": "approved"}),),
            outcome="approved",
        )

    return decide


def approved(repo: Repository, now: datetime, **overrides: object) -> RequestRecord:
    """A request approved by the first two approvers just now."""
    request = submit(repo, now, **overrides)
    for user in APPROVERS[:2]:
        request, _ = repo.apply(request.id, vote(user, now), now=now)
    assert request.status == "APPROVED"
    return request
