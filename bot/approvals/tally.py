"""The count of a request's reviews, in one place.

Every place that shows or checks how many approvals a request has counts with
:func:`tally`: the rules when a review comes in (:mod:`bot.approvals.rules`), the card,
``/offboard status`` and ``list`` (through :func:`bot.approvals.changes.counted`), and
the worker's door before anything is sent (:mod:`bot.execution.door`). The count is made
from scratch from all reviews every time, never accumulated.

A review does not count when its author is the requester, is not an approver now, or
approved with less than the assurance the policy requires (:func:`uncounted` says which,
as a code); a person counts once; one Reject vetoes (:func:`resolve`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from storage.states import Assurance, Status, Vote


@dataclass(frozen=True)
class Review:
    """One person's decision on one request."""

    user: str
    vote: Vote
    at: datetime
    assurance: Assurance = Assurance.SLACK_ACCOUNT


@dataclass(frozen=True)
class Request:
    """What the rules need to know about a request (storage's record carries more)."""

    id: str
    operation: str
    requester: str
    status: Status
    expires_at: datetime
    required_approvals: int
    execute_by: datetime | None = None  # set when it became APPROVED


@dataclass(frozen=True)
class Policy:
    """Who may approve and how strongly they must be identified.

    The number of approvals a request needs is fixed on the request when it is submitted
    (``Request.required_approvals``, from :func:`bot.approvals.policy.required_approvals`);
    who is an approver is read at decision time, so removing someone takes effect at once.
    """

    approvers: frozenset[str]
    execution_window: timedelta = timedelta(minutes=15)
    required_assurance: Assurance = Assurance.SLACK_ACCOUNT


class Uncounted(StrEnum):
    """Why a review does not count."""

    REQUESTER = "requester"
    NOT_APPROVER = "not_approver"
    ASSURANCE = "assurance"  # an approval identified below the required assurance


@dataclass(frozen=True)
class Tally:
    """The counted approvals (distinct eligible non-requesters) and who rejected."""

    approvals: tuple[str, ...]
    rejections: tuple[str, ...]
    required: int

    def as_data(self) -> dict[str, Any]:
        return {
            "approvals": list(self.approvals),
            "rejections": list(self.rejections),
            "required": self.required,
        }


def uncounted(request: Request, review: Review, policy: Policy) -> Uncounted | None:
    """Why ``review`` does not count for ``request`` under ``policy``; None when it does."""
    if review.user == request.requester:
        return Uncounted.REQUESTER
    if review.user not in policy.approvers:
        return Uncounted.NOT_APPROVER
    if review.vote is Vote.APPROVE and review.assurance < policy.required_assurance:
        return Uncounted.ASSURANCE
    return None


def tally(request: Request, reviews: Sequence[Review], policy: Policy) -> Tally:
    """Count the reviews as the rules say, from scratch: each counting person once."""
    approvals: list[str] = []
    rejections: list[str] = []
    for review in reviews:
        if uncounted(request, review, policy) is not None:
            continue
        counted = rejections if review.vote is Vote.REJECT else approvals
        if review.user not in counted:
            counted.append(review.user)
    return Tally(tuple(approvals), tuple(rejections), request.required_approvals)


def resolve(counted: Tally) -> Status:
    """The state a PENDING request's tally justifies: deny wins, then the threshold."""
    if counted.rejections:
        return Status.REJECTED
    if len(counted.approvals) >= counted.required:
        return Status.APPROVED
    return Status.PENDING
