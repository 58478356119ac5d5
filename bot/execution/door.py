"""The door: before anything is sent, the stored decisions are counted again.

A status alone never authorises a call (README, "Security"). The claim
hands :func:`door`'s function the request and its decisions inside the claim's own
transaction; it counts them with the one count (:func:`bot.approvals.tally.tally` and
``resolve``: distinct approvers, the requester excluded, one Reject vetoes, approvals at
the required assurance only) against the policy in force now: who is an approver now,
and the larger of the count stored on the request and the count the policy asks for the
operation's class (a call that changes the cloud never needs fewer than one).

An approval counts only for the call it was given for and, with ``OFFBOARD_SECRET_KEY``
set, only with Offboard's seal (:mod:`bot.approvals.seal`): parameters edited after the
approvals, or a decision row written by hand, justify nothing.

A request marked APPROVED that this count does not justify (a status set by hand in the
database, a forged execution row, forged decisions, edited parameters) is refused: it
ends TAMPERED, with a ``request.tampered`` audit event saying what was found, and a card
update and a thread reply. Note the policy is the one in force at the door: an approver
removed from the policy between approving and the claim no longer counts, and the request is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from bot.approvals.changes import to_request, to_reviews
from bot.approvals.policy import ApprovalRules
from bot.approvals.seal import binding
from bot.approvals.tally import Policy, Tally, Uncounted, resolve, tally, uncounted
from bot.events import Tampered, drafts, thread_of
from commands.catalog import DEFAULT_CATALOG, Catalog, OperationClass, validate_params
from commands.errors import OffboardError
from storage.records import (
    AuditDraft,
    Change,
    DecisionRecord,
    RequestRecord,
)
from storage.repository import Admit
from storage.states import Status, Vote

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Recount:
    """The stored decisions counted at the door, and what did not count and why."""

    counted: Tally
    not_counted: tuple[tuple[str, str], ...]

    @property
    def justifies_approval(self) -> bool:
        return resolve(self.counted) is Status.APPROVED

    def as_data(self) -> dict[str, object]:
        return {
            **self.counted.as_data(),
            "not_counted": [{"user": user, "why": why} for user, why in self.not_counted],
        }


def required_now(
    record: RequestRecord, rules: ApprovalRules, catalog: Catalog = DEFAULT_CATALOG
) -> int:
    """Approvals the request needs by the policy in force, never fewer than stored."""
    try:
        spec = catalog.get(record.operation)
        op_class = spec.classify(validate_params(spec, record.params))
    except (OffboardError, ValueError):
        op_class = OperationClass.DESTRUCTIVE  # what it is cannot be told: the strictest
    if not op_class.changes_cloud:
        return record.required_approvals
    by_policy = rules.required_approvals(
        record.operation, destructive=op_class is OperationClass.DESTRUCTIVE
    )
    return max(1, record.required_approvals, by_policy)


def recount(
    record: RequestRecord,
    decisions: list[DecisionRecord],
    rules: ApprovalRules,
    policy: Policy,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Recount:
    """Count ``decisions`` as the rules do, against ``policy`` and today's requirement
    (the operation's class read from ``catalog``).

    An approval counts only for the call it was given for (its binding equals the
    request's now) and, with a key configured, only with Offboard's seal over it.
    """
    required = required_now(record, rules, catalog)
    request = replace(to_request(record), required_approvals=required)
    bound_now = binding(record.id, record.operation, record.params)
    unproven = {d.user_id: why for d in decisions if (why := _unproven(d, bound_now, rules))}
    reviews = to_reviews(decisions)
    counted = tally(request, [r for r in reviews if r.user not in unproven], policy)
    not_counted = []
    for review in reviews:
        why = uncounted(request, review, policy)
        if review.user in unproven and why in (None, Uncounted.ASSURANCE):
            not_counted.append((review.user, unproven[review.user]))
        elif why is not None:
            not_counted.append((review.user, _WHY[why]))
    return Recount(counted, tuple(not_counted))


# The tally's reasons in words, for the audit event and the thread.
_WHY = {
    Uncounted.REQUESTER: "the requester",
    Uncounted.NOT_APPROVER: "not an approver",
    Uncounted.ASSURANCE: "identified below the required assurance",
}


def _unproven(decision: DecisionRecord, bound_now: str, rules: ApprovalRules) -> str | None:
    """Why an approval proves nothing about this call; None when it does. A rejection
    always counts: a veto only stops things."""
    if decision.vote is not Vote.APPROVE:
        return None
    if decision.binding != bound_now:
        return "approved other parameters than the request holds now"
    if rules.seal is not None and not rules.seal.verifies(decision):
        return "not sealed by Offboard"
    return None


def door(
    rules: ApprovalRules, *, now: datetime, actor: str, catalog: Catalog = DEFAULT_CATALOG
) -> Admit:
    """The claim's ``admit``: None when the decisions justify the approval, else the
    Change that ends the request TAMPERED. The policy is read once, here, outside the
    claim's transaction (resolving a user group may ask Slack)."""
    policy = rules.snapshot()

    def admit(record: RequestRecord, decisions: list[DecisionRecord]) -> Change | None:
        found = recount(record, decisions, rules, policy, catalog)
        if found.justifies_approval:
            return None
        log.warning("request_tampered", request_id=record.id, status=record.status.value)
        return tampered(record, found, now=now, actor=actor)

    return admit


def tampered(record: RequestRecord, found: Recount, *, now: datetime, actor: str) -> Change:
    """End the request TAMPERED: audited with what was found, announced on the card and
    in its thread."""
    why = explain(record, found)
    data = {"was": record.status.value, "why": why, **found.as_data()}
    return Change(
        status=Status.TAMPERED,
        finished_at=now,
        audit=(AuditDraft("request.tampered", actor, data, record.id),),
        announcements=drafts(
            Tampered(request_id=record.id, was=record.status, why=why, thread=thread_of(record))
        ),
    )


def explain(record: RequestRecord, found: Recount) -> str:
    """Why the door refused, in words for the thread."""
    counted = found.counted
    parts = [
        f"It was marked {record.status.value}, but its stored decisions count "
        f"{len(counted.approvals)} of the {counted.required} approvals it needs"
    ]
    if counted.rejections:
        parts.append(f"and it was rejected by {', '.join(counted.rejections)}")
    if found.not_counted:
        skipped = ", ".join(f"{user} ({why})" for user, why in found.not_counted)
        parts.append(f"(not counted: {skipped})")
    return " ".join(parts) + "."
