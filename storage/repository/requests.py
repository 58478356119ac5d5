"""Requests and decisions, and ``Repository``, which joins every part of the repository.

The approval rules live in ``bot`` as pure functions. ``apply`` is the seam between
them and the database: it locks the request, hands the current state to the pure
``decide`` and persists the ``Change`` it returns (decision, status, times, audit
events, announcements) atomically. Executions and the outbox are in ``executions`` and
``outbox`` beside this module; ``Repository`` combines them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.errors import ConcurrentChange, DuplicateSubmission, GuardLost, RequestNotFound
from storage.models import DecisionRow, RequestRow
from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    Change,
    DecisionRecord,
    Guard,
    NewDecision,
    NewRequest,
    RequestRecord,
)
from storage.repository.audit_trail import AuditStore
from storage.repository.executions import ExecutionStore
from storage.repository.outbox import OutboxStore
from storage.repository.plans import PlanStore
from storage.repository.stats import StatsStore
from storage.repository.step_up import StepUpStore
from storage.repository.transactions import decision_record, request_record, require_aware
from storage.states import OUTCOMES, Status, Vote

Decide = Callable[[RequestRecord, list[DecisionRecord]], Change]

# apply() holds the request's row lock (SQLite: the database write lock) while it reads
# and writes, so its conditional writes cannot lose. The retry exists for the one case
# the lock cannot exclude - a writer that inserted a decision without taking the lock -
# and re-running `decide` is safe because it is pure and nothing was written.
_APPLY_ATTEMPTS = 3
_EXECUTION_STATUSES = frozenset({Status.EXECUTING, *OUTCOMES})


class _Lost(Exception):
    """A conditional write inside apply() matched no row: roll back and retry."""


class Repository(PlanStore, ExecutionStore, OutboxStore, StepUpStore, StatsStore, AuditStore):
    """Requests, decisions, executions, member plans, the outbox, step-up enrolments and
    the audit log."""

    # --- requests ---------------------------------------------------------------------

    def create_request(
        self,
        new: NewRequest,
        *,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
        now: datetime,
    ) -> RequestRecord:
        """Insert a PENDING request with its audit events and announcements; one transaction.

        Every later status comes through ``apply`` or the execution methods. When
        ``new.submission_key`` was used before, raises DuplicateSubmission and writes
        nothing: the UNIQUE constraint decides, so it holds across replicas and races.
        """
        require_aware(now)
        try:
            with self._write() as session:
                row = _request_row(new, now)
                session.add(row)
                session.flush()
                self._record_effects(session, new.id, audit, announcements, now)
                return request_record(row)
        except IntegrityError:
            earlier = self.find_submission(new.submission_key) if new.submission_key else None
            if earlier is None:
                raise  # another constraint: not a replay
            raise DuplicateSubmission(new.submission_key or "", earlier.id) from None

    def find_submission(self, submission_key: str) -> RequestRecord | None:
        """The request filed from this submission key, if any."""
        query = select(RequestRow).where(RequestRow.submission_key == submission_key)
        with self._read() as session:
            row = session.scalars(query).one_or_none()
            return request_record(row) if row else None

    def get_request(self, request_id: str) -> RequestRecord | None:
        """The request, or None when no request has this id."""
        with self._read() as session:
            row = session.get(RequestRow, request_id)
            return request_record(row) if row else None

    def list_requests(
        self,
        *,
        statuses: Iterable[Status] | None = None,
        requester: str | None = None,
        limit: int = 50,
    ) -> list[RequestRecord]:
        """Newest first, optionally only some statuses and one requester's."""
        query = select(RequestRow).order_by(RequestRow.created_at.desc(), RequestRow.id)
        if statuses is not None:
            query = query.where(RequestRow.status.in_(list(statuses)))
        if requester is not None:
            query = query.where(RequestRow.requester == requester)
        with self._read() as session:
            return [request_record(r) for r in session.scalars(query.limit(limit))]

    def decisions_for(self, request_id: str) -> list[DecisionRecord]:
        """Every decision on the request, oldest first."""
        with self._read() as session:
            return _decisions(session, request_id)

    def due_for_expiry(self, now: datetime, *, limit: int = 100) -> list[RequestRecord]:
        """PENDING requests past ``expires_at`` and APPROVED ones past ``execute_by``.

        The sweep expires each through ``apply`` so the rule and its announcements stay
        in ``bot``; a request decided meanwhile is simply seen in its new state there.
        """
        require_aware(now)
        pending = (RequestRow.status == Status.PENDING) & (RequestRow.expires_at <= now)
        stale = (RequestRow.status == Status.APPROVED) & (RequestRow.execute_by <= now)
        query = select(RequestRow).where(pending | stale).order_by(RequestRow.id).limit(limit)
        with self._read() as session:
            return [request_record(r) for r in session.scalars(query)]

    def set_card(self, request_id: str, channel: str, ts: str) -> None:
        """Remember where the approval card was posted."""
        self._set_fields(request_id, channel=channel, card_ts=ts)

    def set_prechecks(self, request_id: str, findings: Any) -> None:
        """Store the pre-check findings (JSON values) shown on the card."""
        self._set_fields(request_id, prechecks=findings)

    def _set_fields(self, request_id: str, **values: Any) -> None:
        with self._write() as session:
            result = session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id)
                .values(version=RequestRow.version + 1, **values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise RequestNotFound(request_id)

    # --- the unit of work for decisions and transitions ---------------------------------

    def apply(
        self, request_id: str, decide: Decide, *, now: datetime
    ) -> tuple[RequestRecord, Change]:
        """Lock the request, ask ``decide`` what to do, persist it; one transaction.

        Returns the request as it is after the change and the Change that was persisted.
        A repeated vote by the same person cannot be written twice: ``decide`` sees the
        earlier decision (the row lock orders concurrent calls) and returns a refusal, and
        should a duplicate still reach the UNIQUE(request_id, user_id) constraint, the
        transaction is rolled back and ``decide`` runs again on the fresh state - so the
        repeat becomes whatever ``decide`` says about a repeat, never a second vote.
        The Change's guards run last, before the audit: if one matches no row, everything
        is rolled back and GuardLost is raised. Raises RequestNotFound, GuardLost, or
        ConcurrentChange if retries run out.
        """
        require_aware(now)
        for _ in range(_APPLY_ATTEMPTS):
            try:
                with self._write() as session:
                    return self._apply_once(session, request_id, decide, now)
            except _Lost:
                continue
        raise ConcurrentChange(f"request {request_id} kept changing; nothing was written")

    def _apply_once(
        self, session: Session, request_id: str, decide: Decide, now: datetime
    ) -> tuple[RequestRecord, Change]:
        row = session.scalars(
            select(RequestRow).where(RequestRow.id == request_id).with_for_update()
        ).one_or_none()
        if row is None:
            raise RequestNotFound(request_id)
        before = request_record(row)
        change = decide(before, _decisions(session, request_id))
        if change.is_empty:
            return before, change
        if change.status is not None:
            _check_status_change(before.status, change.status)
        if change.decision is not None:
            _add_decision(session, request_id, change.decision, now)
        values: dict[str, Any] = {"version": RequestRow.version + 1}
        for name in ("status", "approved_at", "execute_by", "finished_at"):
            if getattr(change, name) is not None:
                values[name] = getattr(change, name)
        # Conditional on what `decide` saw: if anything changed since, this matches no row.
        result = session.execute(
            update(RequestRow)
            .where(
                RequestRow.id == request_id,
                RequestRow.status == before.status,
                RequestRow.version == before.version,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _Lost
        _win(session, change.guards)
        self._record_effects(session, request_id, change.audit, change.announcements, now)
        session.refresh(row)
        return request_record(row), change


def _request_row(new: NewRequest, now: datetime) -> RequestRow:
    return RequestRow(
        id=new.id,
        operation=new.operation,
        params=dict(new.params),
        requester=new.requester,
        requester_team=new.requester_team,
        reason=new.reason,
        destructive=new.destructive,
        required_approvals=new.required_approvals,
        status=Status.PENDING,
        channel=new.channel,
        prechecks=new.prechecks,
        submission_key=new.submission_key,
        created_at=now,
        expires_at=new.expires_at,
        version=1,
        plan_id=new.plan_id,
        gate=new.gate,
    )


def _add_decision(session: Session, request_id: str, decision: NewDecision, now: datetime) -> None:
    if decision.vote not in tuple(Vote):
        raise ValueError(f"unknown vote {decision.vote!r}")
    session.add(
        DecisionRow(
            request_id=request_id,
            user_id=decision.user_id,
            vote=decision.vote,
            created_at=now,
            assurance=int(decision.assurance),
            binding=decision.binding,
            seal=decision.seal,
        )
    )
    try:
        session.flush()
    except IntegrityError as duplicate:  # UNIQUE(request_id, user_id): a racing repeat
        raise _Lost from duplicate


def _win(session: Session, guards: Sequence[Guard]) -> None:
    """Run each guard's conditional UPDATE; GuardLost when one matches no row.

    Not retried: a guard is fixed data, and whoever won it has spent it.
    """
    for guard in guards:
        spent = session.execute(guard.statement.execution_options(synchronize_session=False))
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            raise GuardLost(guard.name)


def _check_status_change(current: Status, new: Status) -> None:
    if new not in tuple(Status):
        raise ValueError(f"unknown status {new!r}")
    # Execution statuses have one door each, which keeps the executions table in step:
    # in through claim_for_execution, out through finish_execution.
    if current in _EXECUTION_STATUSES or new in _EXECUTION_STATUSES:
        raise ValueError(
            f"{current} -> {new} is not a decision: use claim_for_execution/finish_execution"
        )


def _decisions(session: Session, request_id: str) -> list[DecisionRecord]:
    rows = session.scalars(
        select(DecisionRow)
        .where(DecisionRow.request_id == request_id)
        .order_by(DecisionRow.created_at, DecisionRow.id)
    )
    return [decision_record(r) for r in rows]
