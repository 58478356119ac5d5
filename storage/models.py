"""The tables. Rows never leave ``storage``: the repository turns them into records.

requests       one row per request for an operation, with its status
decisions      one vote per request and person (the UNIQUE makes a repeat harmless)
executions     one row per attempt to run an approved request, with its lease and result
audit_events   the append-only, hash-chained log (see ``storage.audit``)
outbox         what to announce in Slack, written in the same transaction as the change
plans          member plans (issue 10): the member, the proposal shown, where its card is
plan_steps     one call of a plan each, under the gate (a request) that approves it, with
               its own lease and sent mark
step_up_*      approvers' second factor: enrolments (sealed TOTP secrets and the last
               accepted time step), one-time recovery codes (slow hashes), recent failures
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, bigint, json_doc, str16, str64, str255, text, utc
from storage.states import OUTCOMES, Assurance, PlanState, Status, StepState, Vote, sql_one_of


class RequestRow(Base):
    __tablename__ = "requests"
    __table_args__ = (
        CheckConstraint(sql_one_of("status", Status), name="status"),
        CheckConstraint("required_approvals >= 0", name="required_approvals"),
        Index(None, "status", "expires_at"),
        Index(None, "requester", "created_at"),
    )

    id: Mapped[str64] = mapped_column(primary_key=True)
    operation: Mapped[str64]
    # The validated parameters exactly as they will be signed.
    params: Mapped[dict[str, Any]] = mapped_column(JSON())
    requester: Mapped[str64]
    requester_team: Mapped[str64 | None]
    reason: Mapped[text]
    destructive: Mapped[bool] = mapped_column(Boolean())
    required_approvals: Mapped[int] = mapped_column(Integer())
    status: Mapped[str16]
    channel: Mapped[str64 | None]
    card_ts: Mapped[str64 | None]
    prechecks: Mapped[json_doc | None]
    # Where the request was filed from (the Slack view id): UNIQUE, so a replayed
    # submission cannot file a second request, whichever replica it reaches.
    submission_key: Mapped[str255 | None] = mapped_column(unique=True)
    created_at: Mapped[utc]
    expires_at: Mapped[utc]
    approved_at: Mapped[utc | None]
    execute_by: Mapped[utc | None]
    finished_at: Mapped[utc | None]
    # Bumped by every change to the row; lets a caller detect that it acted on old data.
    version: Mapped[int] = mapped_column(Integer())
    # Set when the request is a gate of a member plan: its params hold the gate's steps as
    # they will be signed, its decisions are the gate's approvals.
    plan_id: Mapped[str64 | None] = mapped_column(ForeignKey("plans.id"), index=True)
    gate: Mapped[int | None] = mapped_column(Integer())


class PlanRow(Base):
    __tablename__ = "plans"
    __table_args__ = (CheckConstraint(sql_one_of("state", PlanState), name="state"),)

    id: Mapped[str64] = mapped_column(primary_key=True)
    account_id: Mapped[str64]
    requester: Mapped[str64]
    requester_team: Mapped[str64 | None]
    reason: Mapped[text]
    state: Mapped[str16]
    channel: Mapped[str64 | None]
    card_ts: Mapped[str64 | None]
    # The thread message of the gate now open after gate 1 (gate 2, or the blockers).
    gate_ts: Mapped[str64 | None]
    # What discovery found and the proposal shown (names, blockers, refusals), as JSON.
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON())
    # The latest fresh deletion check (AllowDelete, NotAllowReason, AbandonableChecks).
    fresh_check: Mapped[json_doc | None]
    submission_key: Mapped[str255 | None] = mapped_column(unique=True)
    created_at: Mapped[utc]
    updated_at: Mapped[utc]
    version: Mapped[int] = mapped_column(Integer())


class PlanStepRow(Base):
    __tablename__ = "plan_steps"
    __table_args__ = (
        UniqueConstraint("request_id", "key"),
        CheckConstraint(sql_one_of("state", StepState), name="state"),
        Index(None, "state", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    plan_id: Mapped[str64] = mapped_column(ForeignKey("plans.id"))
    # The gate (a request) whose approvals cover this step.
    request_id: Mapped[str64] = mapped_column(ForeignKey("requests.id"))
    ordinal: Mapped[int] = mapped_column(Integer())
    key: Mapped[str255]
    action: Mapped[str64]
    # The step as the catalog validated it (``Step``: params, checks, clears, after...).
    step: Mapped[dict[str, Any]] = mapped_column(JSON())
    # Exactly what is signed: the gate's params list these, and sending re-derives and
    # compares them before anything goes out.
    signed: Mapped[dict[str, Any]] = mapped_column(JSON())
    state: Mapped[str16]
    attempt: Mapped[int] = mapped_column(Integer())
    lease_owner: Mapped[str255 | None]
    lease_expires_at: Mapped[utc | None]
    # Durable before the call goes out: a step with sent_at is reconciled, never re-sent.
    sent_at: Mapped[utc | None]
    finished_at: Mapped[utc | None]
    http_status: Mapped[int | None] = mapped_column(Integer())
    code: Mapped[str255 | None]
    message: Mapped[text | None]
    cloud_request_id: Mapped[str255 | None]
    verified: Mapped[text | None]
    progress: Mapped[text | None]
    skip_reason: Mapped[text | None]


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("request_id", "user_id"),
        CheckConstraint(sql_one_of("vote", Vote), name="vote"),
        CheckConstraint(
            f"assurance IN ({', '.join(str(int(a)) for a in Assurance)})", name="assurance"
        ),
    )

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    request_id: Mapped[str64] = mapped_column(ForeignKey("requests.id"))
    user_id: Mapped[str64]
    vote: Mapped[str16]
    created_at: Mapped[utc]
    # How strongly the person was identified (storage.states.Assurance). Rows from before
    # step-up were Slack-account clicks, hence the server default.
    assurance: Mapped[int] = mapped_column(
        Integer(), server_default=str(int(Assurance.SLACK_ACCOUNT))
    )
    # SHA-256 of the request id, operation and parameters as they were when the person
    # decided, and an HMAC over the decision keyed outside the database (bot.approvals.seal):
    # the door counts an approval only for that call, and only if Offboard sealed it.
    binding: Mapped[str64 | None]
    seal: Mapped[str64 | None]


class ExecutionRow(Base):
    __tablename__ = "executions"
    __table_args__ = (
        UniqueConstraint("request_id", "attempt"),
        CheckConstraint(
            f"outcome IS NULL OR {sql_one_of('outcome', OUTCOMES)}",
            name="outcome",
        ),
        CheckConstraint(
            f"late_outcome IS NULL OR {sql_one_of('late_outcome', OUTCOMES)}",
            name="late_outcome",
        ),
        Index(None, "finished_at", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    request_id: Mapped[str64] = mapped_column(ForeignKey("requests.id"))
    attempt: Mapped[int] = mapped_column(Integer())
    lease_owner: Mapped[str255]
    lease_expires_at: Mapped[utc]
    started_at: Mapped[utc]
    # Set durably *before* the destructive call goes out: after a crash, a row with
    # sent_at must be reconciled, never re-sent.
    sent_at: Mapped[utc | None]
    finished_at: Mapped[utc | None]
    outcome: Mapped[str16 | None]
    http_status: Mapped[int | None] = mapped_column(Integer())
    code: Mapped[str255 | None]
    message: Mapped[text | None]
    cloud_request_id: Mapped[str255 | None]
    recommend: Mapped[text | None]
    body: Mapped[json_doc | None]
    phase: Mapped[str64 | None]
    progress: Mapped[json_doc | None]
    # Database time of the last lease confirmation before an attempt went out.
    lease_confirmed_at: Mapped[utc | None]
    # A real answer that reached a worker after it had lost the execution to another
    # (the lease lapsed mid-call): kept, and announced as a correction, never dropped.
    late_at: Mapped[utc | None]
    late_owner: Mapped[str255 | None]
    late_outcome: Mapped[str16 | None]
    late_http_status: Mapped[int | None] = mapped_column(Integer())
    late_code: Mapped[str255 | None]
    late_message: Mapped[text | None]
    late_cloud_request_id: Mapped[str255 | None]
    late_body: Mapped[json_doc | None]


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "request_id"),)

    # Assigned by the appender (previous seq + 1) under the chain lock, never by a
    # sequence: a rolled-back sequence value would leave a gap that looks like a deletion.
    seq: Mapped[bigint] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[utc]
    kind: Mapped[str64]
    request_id: Mapped[str64 | None]
    actor: Mapped[str255 | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON())
    prev_hash: Mapped[str64]
    hash: Mapped[str64] = mapped_column(unique=True)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index(None, "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    request_id: Mapped[str64 | None] = mapped_column(ForeignKey("requests.id"))
    kind: Mapped[str64]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON())
    created_at: Mapped[utc]
    available_at: Mapped[utc]
    attempts: Mapped[int] = mapped_column(Integer())
    claimed_by: Mapped[str255 | None]
    claimed_until: Mapped[utc | None]
    delivered_at: Mapped[utc | None]
    last_error: Mapped[text | None]


class StepUpEnrolmentRow(Base):
    __tablename__ = "step_up_enrolments"

    user_id: Mapped[str64] = mapped_column(primary_key=True)
    # New on every enrolment: a check made against one enrolment cannot spend another's.
    enrolment_id: Mapped[str64] = mapped_column(unique=True)
    # AES-GCM ciphertext of the TOTP secret (nonce + ciphertext, base64), bound to user_id.
    sealed_secret: Mapped[str255]
    key_id: Mapped[str16]
    enrolled_at: Mapped[utc]
    enrolled_by: Mapped[str255]
    # The last accepted RFC 6238 time step: a code of this step or older is spent.
    last_step: Mapped[bigint | None]
    locked_until: Mapped[utc | None]


class StepUpRecoveryCodeRow(Base):
    __tablename__ = "step_up_recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    user_id: Mapped[str64] = mapped_column(ForeignKey("step_up_enrolments.user_id"))
    slot: Mapped[int] = mapped_column(Integer())
    salt: Mapped[str64]
    # scrypt of the code: only a slow hash is kept, never the code.
    digest: Mapped[str64]
    used_at: Mapped[utc | None]


class StepUpFailureRow(Base):
    __tablename__ = "step_up_failures"
    __table_args__ = (Index(None, "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    user_id: Mapped[str64]
    at: Mapped[utc]
    reason: Mapped[str64]


__all__ = [
    "AuditEventRow",
    "Base",
    "DecisionRow",
    "ExecutionRow",
    "OutboxRow",
    "PlanRow",
    "PlanStepRow",
    "RequestRow",
    "StepUpEnrolmentRow",
    "StepUpFailureRow",
    "StepUpRecoveryCodeRow",
]
