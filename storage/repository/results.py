"""Results of executions: progress, the final result, and a real answer that came late.

Every write is conditional on who owns the execution: ``update_progress`` and
``finish_execution`` only for the owner (not on the lease being fresh: a late but real
answer from the owner is better kept than lost); ``record_late_answer`` only for a
worker that is *no longer* the owner, so an answer that arrives after a take-over is
stored and announced as a correction instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.errors import ConcurrentChange
from storage.models import ExecutionRow, RequestRow
from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    ExecutionRecord,
    ExecutionResult,
    RequestRecord,
)
from storage.repository.leases import NO_SYNC, LeaseStore, update_execution
from storage.repository.transactions import (
    execution_record,
    request_record,
    require_aware,
    result_columns,
)
from storage.states import OUTCOMES, Phase, Status


class ResultStore(LeaseStore):
    """What executions did, written by the worker that owns (or owned) them."""

    def update_progress(
        self,
        request_id: str,
        attempt: int,
        *,
        owner: str,
        phase: Phase,
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
        status: Status,
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
            if not update_execution(
                session,
                request_id,
                attempt,
                (ExecutionRow.lease_owner == owner,),
                finished_at=now,
                outcome=status,
                **result_columns(result),
            ):
                return None
            moved = session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.status == Status.EXECUTING)
                .values(status=status, finished_at=now, version=RequestRow.version + 1)
                .execution_options(**NO_SYNC)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentChange(f"request {request_id} left EXECUTING without a result")
            self._record_effects(session, request_id, audit, announcements, now)
            row = session.get_one(RequestRow, request_id, populate_existing=True)
            return request_record(row)

    def record_late_answer(
        self,
        request_id: str,
        attempt: int,
        *,
        owner: str,
        outcome: Status,
        result: ExecutionResult,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """Keep a real answer that reached ``owner`` after another worker took over.

        Stored on the execution (``late_*``), whatever the new owner concluded, with
        its audit events and announcements; the request's status is left alone. False
        when ``owner`` still holds the execution (use ``finish_execution``) or a late
        answer is already stored.
        """
        require_aware(now)
        if outcome not in OUTCOMES:
            raise ValueError(f"a late answer shows one of {OUTCOMES}, not {outcome!r}")
        with self._write() as session:
            stored = session.execute(
                update(ExecutionRow)
                .where(
                    ExecutionRow.request_id == request_id,
                    ExecutionRow.attempt == attempt,
                    ExecutionRow.lease_owner != owner,
                    ExecutionRow.late_at.is_(None),
                )
                .values(
                    late_at=now,
                    late_owner=owner,
                    late_outcome=outcome,
                    **result_columns(result, late=True),
                )
                .execution_options(**NO_SYNC)
            )
            if stored.rowcount != 1:  # type: ignore[attr-defined]
                return False
            self._record_effects(session, request_id, audit, announcements, now)
            return True

    def get_execution(self, request_id: str, attempt: int = 1) -> ExecutionRecord | None:
        """One execution attempt of a request, or None."""
        with self._read() as session:
            row = session.scalars(
                select(ExecutionRow).where(
                    ExecutionRow.request_id == request_id, ExecutionRow.attempt == attempt
                )
            ).one_or_none()
            return execution_record(row) if row else None
