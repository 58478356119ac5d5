"""Executions: claiming approved requests exactly once, leases, results.

Exactly-once rests on one conditional UPDATE, ``requests SET status='EXECUTING' WHERE
id=? AND status='APPROVED' AND execute_by > now``: on PostgreSQL a second updater
blocks on the row lock and, once the first commits, re-checks the WHERE against the new
row and matches nothing; on SQLite writers are serialised by ``BEGIN IMMEDIATE``. Only
the winner inserts the execution row.

The lifecycle of an execution as the worker drives it:

1. ``claim_for_execution`` / ``claim_next_approved`` -> ExecutionRecord (attempt 1, leased)
2. ``record_sent`` -> True: *then* send the destructive call (False: do not send)
3. ``renew_lease`` / ``update_progress`` while a long-running call is followed
4. ``finish_execution`` with SUCCEEDED, FAILED or UNKNOWN

A crashed worker's lease expires; ``expired_leases`` finds it and ``take_over`` gives it
to exactly one reconciler, keeping the attempt. If ``sent_at`` is set, the call may have
gone out: reconcile (ask the cloud), never re-send. If it is not, the call provably never
left (``record_sent`` commits before sending), so the new owner may still send it through
``record_sent`` - which lets only one owner, once, past that point.

An APPROVED request is claimable only while ``now < execute_by``; one without
``execute_by`` is never claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.errors import ConcurrentChange
from storage.models import ExecutionRow, RequestRow
from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    ExecutionRecord,
    ExecutionResult,
    RequestRecord,
)
from storage.repository.transactions import (
    Transactions,
    execution_record,
    request_record,
    require_aware,
)
from storage.states import OUTCOMES, Status

_NO_SYNC = {"synchronize_session": False}


class ExecutionStore(Transactions):
    """The execution half of the repository."""

    def claim_for_execution(
        self,
        request_id: str,
        *,
        owner: str,
        lease_seconds: float,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> ExecutionRecord | None:
        """Move the request APPROVED -> EXECUTING and lease it to ``owner``.

        Returns the new execution for exactly one caller, None for everyone else (and
        when the request is not APPROVED or its execution window has passed).
        """
        require_aware(now)
        with self._write() as session:
            return self._claim(session, request_id, owner, lease_seconds, now, audit, announcements)

    def claim_next_approved(
        self,
        *,
        owner: str,
        lease_seconds: float,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> ExecutionRecord | None:
        """Claim the oldest claimable APPROVED request, if any.

        On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers each pick a
        different request instead of queueing on the same row. Audit drafts without a
        request id get the claimed request's.
        """
        require_aware(now)
        with self._write() as session:
            candidates = session.scalars(
                select(RequestRow.id)
                .where(RequestRow.status == Status.APPROVED, RequestRow.execute_by > now)
                .order_by(RequestRow.approved_at, RequestRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).all()
            for request_id in candidates:
                claimed = self._claim(
                    session, request_id, owner, lease_seconds, now, audit, announcements
                )
                if claimed is not None:
                    return claimed
            return None

    def _claim(
        self,
        session: Session,
        request_id: str,
        owner: str,
        lease_seconds: float,
        now: datetime,
        audit: Sequence[AuditDraft],
        announcements: Sequence[AnnouncementDraft],
    ) -> ExecutionRecord | None:
        won = session.execute(
            update(RequestRow)
            .where(
                RequestRow.id == request_id,
                RequestRow.status == Status.APPROVED,
                RequestRow.execute_by > now,
            )
            .values(status=Status.EXECUTING, version=RequestRow.version + 1)
            .execution_options(**_NO_SYNC)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            return None
        previous = session.scalar(
            select(func.max(ExecutionRow.attempt)).where(ExecutionRow.request_id == request_id)
        )
        row = ExecutionRow(
            request_id=request_id,
            attempt=(previous or 0) + 1,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            started_at=now,
        )
        session.add(row)
        session.flush()
        self._record_effects(session, request_id, audit, announcements, now)
        return execution_record(row)

    def record_sent(
        self,
        request_id: str,
        attempt: int,
        *,
        owner: str,
        now: datetime,
        phase: str | None = None,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """Durably mark that the call is about to go out; send only if this returns True.

        False when ``owner`` no longer holds an unexpired lease, the execution finished, or
        it was already marked sent (a second send is exactly what must never happen).
        ``phase``, the audit events and the announcements are written only with the mark.
        """
        require_aware(now)
        values: dict[str, Any] = {"sent_at": now}
        if phase is not None:
            values["phase"] = phase
        return self._update_with_effects(
            request_id,
            attempt,
            (
                ExecutionRow.lease_owner == owner,
                ExecutionRow.lease_expires_at > now,
                ExecutionRow.sent_at.is_(None),
            ),
            now,
            audit,
            announcements,
            **values,
        )

    def renew_lease(
        self, request_id: str, attempt: int, *, owner: str, lease_seconds: float, now: datetime
    ) -> bool:
        """Extend ``owner``'s unexpired lease; False means the lease is lost: stop."""
        require_aware(now)
        return self._update_with_effects(
            request_id,
            attempt,
            (ExecutionRow.lease_owner == owner, ExecutionRow.lease_expires_at > now),
            now,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
        )

    def update_progress(
        self,
        request_id: str,
        attempt: int,
        *,
        owner: str,
        phase: str,
        progress: Any,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """Record how a long-running call is doing (and announce it) while owning it."""
        require_aware(now)
        return self._update_with_effects(
            request_id,
            attempt,
            (ExecutionRow.lease_owner == owner,),
            now,
            audit,
            announcements,
            phase=phase,
            progress=progress,
        )

    def finish_execution(
        self,
        request_id: str,
        attempt: int,
        *,
        owner: str,
        status: str,
        result: ExecutionResult,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> RequestRecord | None:
        """Store the result and move the request EXECUTING -> ``status``; one transaction.

        Conditional on ``owner`` still owning the execution (not on the lease being fresh:
        a late but real answer is better kept than lost). None when it does not.
        """
        require_aware(now)
        if status not in OUTCOMES:
            raise ValueError(f"an execution finishes with one of {OUTCOMES}, not {status!r}")
        with self._write() as session:
            if not _update(
                session,
                request_id,
                attempt,
                (ExecutionRow.lease_owner == owner,),
                finished_at=now,
                outcome=status,
                http_status=result.http_status,
                code=result.code,
                message=result.message,
                cloud_request_id=result.cloud_request_id,
                recommend=result.recommend,
                body=result.body,
            ):
                return None
            moved = session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.status == Status.EXECUTING)
                .values(status=status, finished_at=now, version=RequestRow.version + 1)
                .execution_options(**_NO_SYNC)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentChange(f"request {request_id} left EXECUTING without a result")
            self._record_effects(session, request_id, audit, announcements, now)
            row = session.get_one(RequestRow, request_id, populate_existing=True)
            return request_record(row)

    def expired_leases(self, now: datetime) -> list[ExecutionRecord]:
        """Unfinished executions whose lease has run out (their worker is presumed dead)."""
        require_aware(now)
        query = (
            select(ExecutionRow)
            .where(ExecutionRow.finished_at.is_(None), ExecutionRow.lease_expires_at <= now)
            .order_by(ExecutionRow.lease_expires_at, ExecutionRow.id)
        )
        with self._read() as session:
            return [execution_record(r) for r in session.scalars(query)]

    def take_over(
        self,
        request_id: str,
        attempt: int,
        *,
        new_owner: str,
        lease_seconds: float,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
    ) -> bool:
        """Give an expired, unfinished execution to ``new_owner``; exactly one caller wins."""
        require_aware(now)
        return self._update_with_effects(
            request_id,
            attempt,
            (ExecutionRow.lease_expires_at <= now,),
            now,
            audit,
            lease_owner=new_owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
        )

    def get_execution(self, request_id: str, attempt: int = 1) -> ExecutionRecord | None:
        """One execution attempt of a request, or None."""
        with self._read() as session:
            row = session.scalars(
                select(ExecutionRow).where(
                    ExecutionRow.request_id == request_id, ExecutionRow.attempt == attempt
                )
            ).one_or_none()
            return execution_record(row) if row else None

    def _update_with_effects(
        self,
        request_id: str,
        attempt: int,
        conditions: tuple[Any, ...],
        now: datetime,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
        **values: Any,
    ) -> bool:
        """One transaction: the conditional UPDATE, and its effects only if it matched."""
        with self._write() as session:
            if not _update(session, request_id, attempt, conditions, **values):
                return False
            self._record_effects(session, request_id, audit, announcements, now)
            return True


def _update(
    session: Session, request_id: str, attempt: int, conditions: tuple[Any, ...], **values: Any
) -> bool:
    """A conditional UPDATE of one unfinished execution; True when it matched."""
    result = session.execute(
        update(ExecutionRow)
        .where(
            ExecutionRow.request_id == request_id,
            ExecutionRow.attempt == attempt,
            ExecutionRow.finished_at.is_(None),
            *conditions,
        )
        .values(**values)
        .execution_options(**_NO_SYNC)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
