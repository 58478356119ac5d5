"""Leases on executions: confirm, renew, find the expired ones, take one over.

A lease says which worker may act on an execution until when. Every lease time is read
from the lease clock (``Transactions._lease_now``: the database's clock unless a test
injects one), never from the calling host, so two replicas whose clocks disagree still
agree on whether a lease has run out.

Each change is one conditional UPDATE. On PostgreSQL the row lock orders a confirmation
and a take-over of the same execution: whichever commits first wins, and the other
re-checks its WHERE against the new row and matches nothing. On SQLite writers are
serialised by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ExecutionRow
from storage.records import AnnouncementDraft, AuditDraft, ExecutionRecord
from storage.repository.transactions import Transactions, execution_record, require_aware

NO_SYNC = {"synchronize_session": False}


class LeaseStore(Transactions):
    """The lease half of the execution store."""

    def confirm_lease(self, request_id: str, attempt: int, *, owner: str) -> float | None:
        """Confirm that ``owner`` still holds an unexpired lease, just before an attempt.

        Returns the seconds the lease has left by the lease clock, or None when it is
        lost (another worker took over, it expired, or the execution finished): then the
        attempt must not be sent. The confirmation is a conditional UPDATE (it stamps
        ``lease_confirmed_at``), so it takes the row lock a take-over needs.
        """
        with self._write() as session:
            now = self._lease_now(session)
            if not update_execution(
                session,
                request_id,
                attempt,
                (ExecutionRow.lease_owner == owner, ExecutionRow.lease_expires_at > now),
                lease_confirmed_at=now,
            ):
                return None
            expires = session.scalar(
                select(ExecutionRow.lease_expires_at).where(
                    ExecutionRow.request_id == request_id, ExecutionRow.attempt == attempt
                )
            )
            assert expires is not None
            return (expires - now).total_seconds()

    def renew_lease(
        self, request_id: str, attempt: int, *, owner: str, lease_seconds: float
    ) -> bool:
        """Extend ``owner``'s unexpired lease; False means the lease is lost: stop."""
        with self._write() as session:
            now = self._lease_now(session)
            return update_execution(
                session,
                request_id,
                attempt,
                (ExecutionRow.lease_owner == owner, ExecutionRow.lease_expires_at > now),
                lease_expires_at=now + timedelta(seconds=lease_seconds),
            )

    def expired_leases(self) -> list[ExecutionRecord]:
        """Unfinished executions whose lease has run out (their worker is presumed dead)."""
        with self._read() as session:
            now = self._lease_now(session)
            query = (
                select(ExecutionRow)
                .where(ExecutionRow.finished_at.is_(None), ExecutionRow.lease_expires_at <= now)
                .order_by(ExecutionRow.lease_expires_at, ExecutionRow.id)
            )
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
        """Give an expired, unfinished execution to ``new_owner``; exactly one caller wins.

        ``now`` stamps the audit events; the lease itself is judged by the lease clock.
        """
        require_aware(now)
        with self._write() as session:
            lease_now = self._lease_now(session)
            if not update_execution(
                session,
                request_id,
                attempt,
                (ExecutionRow.lease_expires_at <= lease_now,),
                lease_owner=new_owner,
                lease_expires_at=lease_now + timedelta(seconds=lease_seconds),
            ):
                return False
            self._record_effects(session, request_id, audit, (), now)
            return True

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
            if not update_execution(session, request_id, attempt, conditions, **values):
                return False
            self._record_effects(session, request_id, audit, announcements, now)
            return True


def update_execution(
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
        .execution_options(**NO_SYNC)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
