"""The two-person rule as pure functions: no Slack, HTTP, database or clock.

Shaped after Teleport's ``ApplyAccessReview`` / ``calculateReviewBasedResolution``: a review
is checked against the request, the reviews so far and the policy, and either refused with a
typed reason a person can read, or accepted. The resulting state is recomputed from *all*
reviews every time, never accumulated, so a replayed or reordered review cannot push a count
past what the reviews themselves justify::

    PENDING -> APPROVED | REJECTED | EXPIRED | CANCELLED
    APPROVED -> EXPIRED      (not started within the execution window)

(the whole life of a request: ``storage.states.Status``).

Rules (docs/INTERFACE.md, "Approval rules"): the requester never counts; a person counts
once; one Reject vetoes (the count: :mod:`bot.approvals.tally`); nothing is decided once
the request has left PENDING; a review at or after ``expires_at`` is too late.

Second factor: every :class:`Review` carries an :class:`Assurance` (how strongly the
reviewer was identified) and :class:`Policy` names the assurance it requires. Today Slack
gives ``Assurance.SLACK_ACCOUNT`` and the policy requires exactly that; a later step adds a
verifier in the workflow that raises a review to ``Assurance.SECOND_FACTOR`` and a policy
with ``required_assurance=Assurance.SECOND_FACTOR``. An approval below the required
assurance is refused here (``RefusalReason.ASSURANCE``) and never counted, so the decision
path needs no other change.

Every accepted step returns a :class:`Transition` carrying the event that tells it
(:mod:`bot.events`); the workflow writes it to the outbox with the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bot.approvals.tally import (
    Policy,
    Request,
    Review,
    Tally,
    Uncounted,
    resolve,
    tally,
    uncounted,
)
from bot.events import Approved, Cancelled, Decided, Expired, Rejected, RequestEvent
from storage.states import Status, Vote


class RefusalReason(StrEnum):
    REPEATED = "repeated"  # the same person made the same decision again: harmless
    SELF_REVIEW = "self_review"
    NOT_APPROVER = "not_approver"
    ALREADY_REVIEWED = "already_reviewed"
    NOT_PENDING = "not_pending"
    EXPIRED = "expired"
    ASSURANCE = "assurance"
    NOT_REQUESTER = "not_requester"


@dataclass(frozen=True)
class Refusal:
    """Why nothing changed, in words for the person who clicked."""

    reason: RefusalReason
    message: str
    status: Status

    @property
    def is_noop(self) -> bool:
        """A repeated identical click: show it as information, not as a failure."""
        return self.reason is RefusalReason.REPEATED


@dataclass(frozen=True)
class Transition:
    """An accepted step: what to persist, and ``news``, the event that tells it.

    ``review`` is the new review to store (``None`` for cancel and expire). ``status`` may
    equal ``previous`` when a review was recorded but the request stays PENDING.
    """

    previous: Status
    status: Status
    actor: str | None
    news: RequestEvent
    review: Review | None = None
    tally: Tally | None = None
    execute_by: datetime | None = None

    @property
    def event(self) -> str:
        """The event's name (``decided``, ``approved``, ...)."""
        return self.news.event

    @property
    def changed_status(self) -> bool:
        return self.status is not self.previous


def apply_review(
    request: Request,
    reviews: Sequence[Review],
    new_review: Review,
    policy: Policy,
    now: datetime,
) -> Transition | Refusal:
    """Check ``new_review`` against the rules; return the resulting step or why not.

    ``reviews`` are the reviews already stored for this request (any order). The checks
    run in this order so each person hears the most useful reason: a repeated identical
    click, a request no longer pending, too late, the requester, a non-approver, too weak
    an identification, a second (different) review by the same person.
    """
    user = new_review.user
    earlier = next((r for r in reviews if r.user == user), None)
    if earlier is not None and earlier.vote is new_review.vote:
        return _refuse(request, RefusalReason.REPEATED, _repeated_text(earlier.vote))
    closed = _closed(request, now)
    if closed is not None:
        return closed
    not_counted = uncounted(request, new_review, policy)  # would the count skip it?
    if not_counted is not None:
        return _refuse(request, *_NOT_COUNTED[not_counted])
    if earlier is not None:
        return _refuse(
            request,
            RefusalReason.ALREADY_REVIEWED,
            f"You already chose {earlier.vote.value} on this request; a decision cannot be "
            "changed. Ask for a new request if it was a mistake.",
        )

    counted = tally(request, [*reviews, new_review], policy)
    status = resolve(counted)
    execute_by = now + policy.execution_window if status is Status.APPROVED else None
    return Transition(
        previous=request.status,
        status=status,
        actor=user,
        news=_decision_news(request, new_review, counted, execute_by),
        review=new_review,
        tally=counted,
        execute_by=execute_by,
    )


def _decision_news(
    request: Request, review: Review, counted: Tally, execute_by: datetime | None
) -> RequestEvent:
    """The event that tells a decision, with the tally counted right after it."""
    vote, approvals, rejections = review.vote, counted.approvals, counted.rejections
    if execute_by is not None:
        return Approved(
            request_id=request.id,
            actor=review.user,
            vote=vote,
            approvals=approvals,
            rejections=rejections,
            required=counted.required,
            execute_by=execute_by,
        )
    kind = Rejected if counted.rejections else Decided
    return kind(
        request_id=request.id,
        actor=review.user,
        vote=vote,
        approvals=approvals,
        rejections=rejections,
        required=counted.required,
    )


def cancel(request: Request, user: str, now: datetime) -> Transition | Refusal:
    """The requester withdraws a request that is still waiting for approval."""
    if user != request.requester:
        return _refuse(
            request, RefusalReason.NOT_REQUESTER, "Only the person who asked can cancel it."
        )
    if request.status is Status.CANCELLED:
        return _refuse(request, RefusalReason.REPEATED, "This request is already cancelled.")
    if request.status is not Status.PENDING:
        return _refuse(
            request,
            RefusalReason.NOT_PENDING,
            f"This request is already {request.status.value}; only a PENDING request can be "
            "cancelled.",
        )
    if now >= request.expires_at:
        return _refuse(
            request,
            RefusalReason.EXPIRED,
            f"This request expired at {_when(request.expires_at)}; there is nothing to cancel.",
        )
    return Transition(
        previous=request.status,
        status=Status.CANCELLED,
        actor=user,
        news=Cancelled(request_id=request.id, actor=user),
    )


def expire(request: Request, now: datetime) -> Transition | None:
    """PENDING past its TTL, or APPROVED past its execution window, becomes EXPIRED.

    An approval that was not acted on in time is not executed later: the people who
    approved were looking at the world as it was then (docs/INTERFACE.md, "Two clocks").
    """
    if request.status is Status.PENDING and now >= request.expires_at:
        why = f"no decision before {_when(request.expires_at)}"
    elif (
        request.status is Status.APPROVED
        and request.execute_by is not None
        and now >= request.execute_by
    ):
        why = f"approved, but not started before {_when(request.execute_by)}"
    else:
        return None
    return Transition(
        previous=request.status,
        status=Status.EXPIRED,
        actor=None,
        news=Expired(request_id=request.id, was=request.status, why=why),
    )


def _closed(request: Request, now: datetime) -> Refusal | None:
    """Why nothing can be decided on ``request`` any more, or None."""
    if request.status is not Status.PENDING:
        return _refuse(
            request,
            RefusalReason.NOT_PENDING,
            f"This request is already {request.status.value}; "
            "decisions are only taken while it is PENDING.",
        )
    if now >= request.expires_at:
        return _refuse(
            request,
            RefusalReason.EXPIRED,
            f"This request expired at {_when(request.expires_at)}; ask for a new one.",
        )
    return None


# A review the count would skip is refused, in words for the person who clicked.
_NOT_COUNTED = {
    Uncounted.REQUESTER: (
        RefusalReason.SELF_REVIEW,
        "You asked for this; someone else has to decide on it.",
    ),
    Uncounted.NOT_APPROVER: (
        RefusalReason.NOT_APPROVER,
        "You are not an approver for Offboard requests, so your click was not counted.",
    ),
    Uncounted.ASSURANCE: (
        RefusalReason.ASSURANCE,
        "Approving needs a stronger identification than this click; "
        "verify yourself and approve again.",
    ),
}


def _refuse(request: Request, reason: RefusalReason, message: str) -> Refusal:
    return Refusal(reason=reason, message=message, status=request.status)


def _repeated_text(vote: Vote) -> str:
    done = "approved" if vote is Vote.APPROVE else "rejected"
    return f"You already {done} this request; nothing more to do."


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
