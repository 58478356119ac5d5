"""What every part of the repository shares: one transaction per call, rows to records,
and the clock leases are judged by."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storage.audit import append_events
from storage.db import READ_ONLY
from storage.models import DecisionRow, ExecutionRow, OutboxRow, RequestRow
from storage.records import (
    AnnouncementDraft,
    AnnouncementRecord,
    AuditDraft,
    DecisionRecord,
    ExecutionRecord,
    ExecutionResult,
    LateAnswer,
    RequestRecord,
)
from storage.states import Assurance, Phase, Status, Vote


def require_aware(now: datetime) -> datetime:
    """Refuse naive datetimes early, with a message that says what to pass."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("pass an aware UTC datetime (from the injected clock)")
    return now


class Transactions:
    """Holds the engine; ``_write()`` and ``_read()`` are the only ways to a Session.

    ``clock`` is what leases are judged by. Left out, it is the database's own clock
    (PostgreSQL ``clock_timestamp()``; SQLite lives on one host, so that host's clock),
    so replicas whose clocks disagree still agree on when a lease runs out. Tests pass
    their injected clock to move leases forward by hand.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock

    def _lease_now(self, session: Session) -> datetime:
        """The current time by the lease clock, read inside ``session``'s transaction."""
        if self.clock is not None:
            return require_aware(self.clock())
        if session.get_bind().dialect.name == "postgresql":
            # clock_timestamp(), not now(): now() is when the transaction began, which can
            # be long ago for a transaction that queued on a row lock.
            now = session.scalar(select(func.clock_timestamp()))
            assert isinstance(now, datetime)
            return now.astimezone(UTC)
        return datetime.now(UTC)

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One read-write transaction (SQLite: ``BEGIN IMMEDIATE``), committed on exit."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """One read-only transaction that never queues behind writers on SQLite."""
        with Session(self.engine) as session:
            session.connection(execution_options=READ_ONLY)
            yield session

    @staticmethod
    def _record_effects(
        session: Session,
        request_id: str | None,
        audit: Sequence[AuditDraft],
        announcements: Sequence[AnnouncementDraft],
        now: datetime,
    ) -> None:
        """Queue announcements and append audit events for ``request_id``.

        Call this last in a transaction: appending takes the audit chain lock, which must
        be the last lock a transaction waits for.
        """
        for draft in announcements:
            session.add(
                OutboxRow(
                    request_id=request_id,
                    kind=draft.kind,
                    payload=dict(draft.payload),
                    created_at=now,
                    available_at=now,
                    attempts=0,
                )
            )
        session.flush()
        if request_id is not None:
            audit = [
                e if e.request_id is not None else replace(e, request_id=request_id) for e in audit
            ]
        append_events(session, audit, now)


def request_record(row: RequestRow) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        operation=row.operation,
        params=dict(row.params),
        requester=row.requester,
        requester_team=row.requester_team,
        reason=row.reason,
        destructive=row.destructive,
        required_approvals=row.required_approvals,
        status=Status(row.status),
        channel=row.channel,
        card_ts=row.card_ts,
        prechecks=row.prechecks,
        created_at=row.created_at,
        expires_at=row.expires_at,
        approved_at=row.approved_at,
        execute_by=row.execute_by,
        finished_at=row.finished_at,
        version=row.version,
        plan_id=row.plan_id,
        gate=row.gate,
    )


def decision_record(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        request_id=row.request_id,
        user_id=row.user_id,
        vote=Vote(row.vote),
        created_at=row.created_at,
        assurance=Assurance(row.assurance),
        binding=row.binding,
        seal=row.seal,
    )


def execution_record(row: ExecutionRow) -> ExecutionRecord:
    return ExecutionRecord(
        request_id=row.request_id,
        attempt=row.attempt,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        started_at=row.started_at,
        sent_at=row.sent_at,
        finished_at=row.finished_at,
        outcome=Status(row.outcome) if row.outcome else None,
        result=stored_result(row),
        phase=Phase(row.phase) if row.phase else None,
        progress=row.progress,
        lease_confirmed_at=row.lease_confirmed_at,
        late=_late_answer(row),
    )


def _late_answer(row: ExecutionRow) -> LateAnswer | None:
    if row.late_at is None or row.late_owner is None or row.late_outcome is None:
        return None
    return LateAnswer(
        at=row.late_at,
        owner=row.late_owner,
        outcome=Status(row.late_outcome),
        result=stored_result(row, late=True),
    )


# Where each field of ExecutionResult is kept: the result's names are the cloud's own
# (``request_id`` is its RequestId, as in commands' CallResult); the columns keep the
# names the migrations gave them. A late answer keeps no Recommend.
_RESULT_COLUMNS = {
    "http_status": "http_status",
    "code": "code",
    "message": "message",
    "request_id": "cloud_request_id",
    "recommend": "recommend",
    "body": "body",
}
_LATE_COLUMNS = {
    "http_status": "late_http_status",
    "code": "late_code",
    "message": "late_message",
    "request_id": "late_cloud_request_id",
    "body": "late_body",
}


# A member plan's step keeps the same result on its own columns (no Recommend, no body).
STEP_COLUMNS = {field: _RESULT_COLUMNS[field] for field in ("http_status", "code", "message")}
STEP_COLUMNS["request_id"] = "cloud_request_id"


def step_result_columns(result: ExecutionResult) -> dict[str, Any]:
    """The plan_steps columns and values that store ``result`` (what it says: not None)."""
    found = {column: getattr(result, field) for field, column in STEP_COLUMNS.items()}
    return {column: value for column, value in found.items() if value is not None}


def step_result(row: Any) -> ExecutionResult:
    """The result kept on a plan_steps row."""
    return ExecutionResult(
        **{field: getattr(row, column) for field, column in STEP_COLUMNS.items()}
    )


def result_columns(result: ExecutionResult, *, late: bool = False) -> dict[str, Any]:
    """The executions columns and values that store ``result`` (or a late answer's)."""
    columns = _LATE_COLUMNS if late else _RESULT_COLUMNS
    return {column: getattr(result, field) for field, column in columns.items()}


def stored_result(row: ExecutionRow, *, late: bool = False) -> ExecutionResult:
    """The result (or the late answer's) kept on an executions row."""
    columns = _LATE_COLUMNS if late else _RESULT_COLUMNS
    return ExecutionResult(**{field: getattr(row, column) for field, column in columns.items()})


def load_decisions(session: Session, request_id: str) -> list[DecisionRecord]:
    """Every decision on the request, oldest first, inside ``session``'s transaction."""
    rows = session.scalars(
        select(DecisionRow)
        .where(DecisionRow.request_id == request_id)
        .order_by(DecisionRow.created_at, DecisionRow.id)
    )
    return [decision_record(r) for r in rows]


def announcement_record(row: OutboxRow) -> AnnouncementRecord:
    return AnnouncementRecord(
        id=row.id,
        request_id=row.request_id,
        kind=row.kind,
        payload=dict(row.payload),
        created_at=row.created_at,
        attempts=row.attempts,
        last_error=row.last_error,
        available_at=row.available_at,
    )
