"""Plain values that cross the repository boundary, in and out.

Records are frozen dataclasses built from rows inside the session that loaded them, so
nothing lazy ever escapes a session. Inputs (``New*``, ``*Draft``, ``Change``,
``ExecutionResult``) are what callers hand the repository.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Update

from storage.states import Assurance, Phase, Status, Vote

# Crockford's base32 without I, L, O, U: unambiguous when read aloud or retyped.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_request_id() -> str:
    """A short human id such as ``OB-7K3Q2X9M`` (40 random bits)."""
    return "OB-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


# --- inputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditDraft:
    """An audit event to append. ``data`` is scrubbed of secret-looking keys on append."""

    kind: str
    actor: str | None
    data: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None


@dataclass(frozen=True)
class AnnouncementDraft:
    """Something to tell Slack, delivered later by the announcer from the outbox."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewRequest:
    """A request as submitted. ``id`` may be chosen up front (to derive idempotency keys)."""

    operation: str
    params: dict[str, Any]
    requester: str
    reason: str
    destructive: bool
    required_approvals: int
    expires_at: datetime
    requester_team: str | None = None
    channel: str | None = None
    prechecks: Any = None
    # A key unique to the submission (the Slack view id): a second request with the same
    # key is refused with DuplicateSubmission.
    submission_key: str | None = None
    id: str = field(default_factory=new_request_id)
    plan_id: str | None = None  # set for a gate of a member plan
    gate: int | None = None


@dataclass(frozen=True)
class NewDecision:
    """One person's vote and how they were identified."""

    user_id: str
    vote: Vote
    assurance: Assurance = Assurance.SLACK_ACCOUNT
    # What was decided on (the request's binding) and Offboard's seal over it, if keyed.
    binding: str | None = None
    seal: str | None = None


@dataclass(frozen=True)
class Guard:
    """A conditional UPDATE that ``apply``'s transaction must win, or nothing is written.

    Made by the repository (``Repository.spend_step``, say), never by hand: ``apply`` runs
    ``statement`` after the decision and the status, and when it matches no row rolls
    everything back and raises ``GuardLost(name)``. This is how a one-time proof (a TOTP
    time step, a recovery code) is spent in the very transaction that records what it
    proved, so two transactions can never spend it twice.
    """

    name: str
    statement: Update


@dataclass(frozen=True)
class Change:
    """What a pure ``decide`` function wants persisted, all in one transaction.

    ``status`` None leaves the status alone. The timestamp fields are written only when
    given. ``outcome`` is free for the caller: the repository hands the Change back, so
    the workflow can carry its own Transition or Refusal through ``apply``.
    """

    decision: NewDecision | None = None
    status: Status | None = None
    approved_at: datetime | None = None
    execute_by: datetime | None = None
    finished_at: datetime | None = None
    audit: tuple[AuditDraft, ...] = ()
    announcements: tuple[AnnouncementDraft, ...] = ()
    guards: tuple[Guard, ...] = ()
    outcome: Any = None

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to write (a refusal with no audit, say)."""
        return (
            self.decision is None
            and self.status is None
            and self.approved_at is None
            and self.execute_by is None
            and self.finished_at is None
            and not self.audit
            and not self.announcements
            and not self.guards
        )


@dataclass(frozen=True)
class ExecutionResult:
    """What the cloud answered (or what reconciliation concluded) for one execution.

    The fields of ``commands.responses.CallResult`` by the same names, in the same order
    (``request_id`` is the cloud's RequestId); all empty for a call never sent. The one
    shape of a result from the worker to the thread: stored as it is (the repository
    maps it onto its columns in one place) and shown as it is.
    """

    http_status: int | None = None
    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    recommend: str | None = None
    body: dict[str, Any] | None = None


# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    id: str
    operation: str
    params: dict[str, Any]
    requester: str
    requester_team: str | None
    reason: str
    destructive: bool
    required_approvals: int
    status: Status
    channel: str | None
    card_ts: str | None
    prechecks: Any
    created_at: datetime
    expires_at: datetime
    approved_at: datetime | None
    execute_by: datetime | None
    finished_at: datetime | None
    version: int
    plan_id: str | None = None  # a gate of this member plan
    gate: int | None = None


@dataclass(frozen=True)
class DecisionRecord:
    request_id: str
    user_id: str
    vote: Vote
    created_at: datetime
    assurance: Assurance = Assurance.SLACK_ACCOUNT
    binding: str | None = None
    seal: str | None = None


@dataclass(frozen=True)
class ExecutionRecord:
    request_id: str
    attempt: int
    lease_owner: str
    lease_expires_at: datetime
    started_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None
    outcome: Status | None
    result: ExecutionResult
    phase: Phase | None
    progress: Any
    lease_confirmed_at: datetime | None = None
    late: LateAnswer | None = None


@dataclass(frozen=True)
class LateAnswer:
    """A real answer that reached ``owner`` after another worker had taken the execution
    over: the outcome it shows and what the cloud said."""

    at: datetime
    owner: str
    outcome: Status
    result: ExecutionResult


@dataclass(frozen=True)
class AuditEventRecord:
    seq: int
    at: datetime
    kind: str
    request_id: str | None
    actor: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AnnouncementRecord:
    id: int
    request_id: str | None
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int
    last_error: str | None
    # When it may be delivered: later than created_at for a retry, or for a row that
    # waits to gather changes (a Home tab refresh).
    available_at: datetime | None = None
