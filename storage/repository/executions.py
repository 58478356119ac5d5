"""Executions: claiming approved requests exactly once, behind a door, and their results.

Exactly-once rests on one conditional UPDATE, ``requests SET status='EXECUTING' WHERE
id=? AND status='APPROVED' AND execute_by > now``: on PostgreSQL a second updater
blocks on the row lock and, once the first commits, re-checks the WHERE against the new
row and matches nothing; on SQLite writers are serialised by ``BEGIN IMMEDIATE``. Only
the winner inserts the execution row.

A status alone never authorises a call. Each claim takes an ``admit`` function (the
pure door, like ``apply``'s ``decide``): it gets the request and its stored decisions
in the claim's transaction and returns None to let the claim proceed, or the Change to
persist instead (the request refused as TAMPERED, with its audit events and
announcements). ``record_sent`` takes the same door, for an execution taken over
before it was sent.

The lifecycle of an execution as the worker drives it:

1. ``claim_for_execution`` / ``claim_next_approved`` -> ExecutionRecord (attempt 1, leased)
2. ``record_sent`` -> True: *then* send the call (False: do not send)
3. ``confirm_lease`` before every attempt (see ``leases``)
4. ``renew_lease`` / ``update_progress`` while a long-running call is followed
5. ``finish_execution`` with SUCCEEDED, FAILED or UNKNOWN; or, when the execution was
   taken over meanwhile, ``record_late_answer`` with the real answer that came late

A crashed worker's lease expires; ``expired_leases`` finds it and ``take_over`` gives it
to exactly one reconciler, keeping the attempt. If ``sent_at`` is set, the call may have
gone out: reconcile (ask the cloud), never re-send. If it is not, the call provably never
left (``record_sent`` commits before sending), so the new owner may still send it through
``record_sent`` - which lets only one owner, once, past that point.

An APPROVED request is claimable only while ``now < execute_by``; one without
``execute_by`` is never claimed. ``now`` is the caller's clock (the one the approval
window was set by) and stamps events; lease times come from the lease clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.errors import ConcurrentChange
from storage.models import ExecutionRow, RequestRow
from storage.records import (
    AnnouncementDraft,
    AuditDraft,
    Change,
    DecisionRecord,
    ExecutionRecord,
    RequestRecord,
)
from storage.repository.leases import NO_SYNC, update_execution
from storage.repository.results import ResultStore
from storage.repository.transactions import (
    execution_record,
    load_decisions,
    request_record,
    require_aware,
)
from storage.states import Phase, Status

Admit = Callable[[RequestRecord, list[DecisionRecord]], Change | None]
"""The door: None admits the request; a Change (a final status, audit, announcements)
refuses it and is persisted instead."""

REFUSED_AT_THE_DOOR = "Not sent: the stored decisions do not justify the approval."


class ExecutionStore(ResultStore):
    """The execution half of the repository: claims and the sent mark (over results and
    leases)."""

    def claim_for_execution(
        self,
        request_id: str,
        *,
        owner: str,
        lease_seconds: float,
        now: datetime,
        admit: Admit | None = None,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> ExecutionRecord | None:
        """Move the request APPROVED -> EXECUTING and lease it to ``owner``.

        Returns the new execution for exactly one caller, None for everyone else (and
        when the request is not APPROVED, its execution window has passed, or ``admit``
        refused it).
        """
        require_aware(now)
        with self._write() as session:
            locked = session.scalars(
                select(RequestRow.id)
                .where(RequestRow.id == request_id, RequestRow.status == Status.APPROVED)
                .with_for_update()
            ).one_or_none()
            if locked is None or self._refused(session, request_id, admit, now):
                return None
            return self._claim(session, request_id, owner, lease_seconds, now, audit, announcements)

    def claim_next_approved(
        self,
        *,
        owner: str,
        lease_seconds: float,
        now: datetime,
        admit: Admit | None = None,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> ExecutionRecord | None:
        """Claim the oldest claimable APPROVED request that ``admit`` lets through.

        Requests the door refuses on the way are ended (as ``admit`` says) in the same
        transaction. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers each
        pick a different request instead of queueing on the same row. Audit drafts
        without a request id get the claimed request's.
        """
        require_aware(now)
        with self._write() as session:
            while True:
                request_id = session.scalars(
                    select(RequestRow.id)
                    .where(
                        RequestRow.status == Status.APPROVED,
                        RequestRow.execute_by > now,
                        # A gate of a member plan runs its steps through bot.plans.
                        RequestRow.plan_id.is_(None),
                    )
                    .order_by(RequestRow.approved_at, RequestRow.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if request_id is None:
                    return None
                if self._refused(session, request_id, admit, now):
                    continue
                return self._claim(
                    session, request_id, owner, lease_seconds, now, audit, announcements
                )

    def _refused(
        self, session: Session, request_id: str, admit: Admit | None, now: datetime
    ) -> bool:
        """Run the door on the locked request; persist its refusal. True when refused."""
        if admit is None:
            return False
        row = session.get_one(RequestRow, request_id, populate_existing=True)
        change = admit(request_record(row), load_decisions(session, request_id))
        if change is None:
            return False
        if change.status is None or not Status(change.status).is_final:
            raise ValueError(f"the door must end the request it refuses, not {change.status!r}")
        moved = session.execute(
            update(RequestRow)
            .where(RequestRow.id == request_id, RequestRow.status == row.status)
            .values(
                status=change.status,
                finished_at=change.finished_at or now,
                version=RequestRow.version + 1,
            )
            .execution_options(**NO_SYNC)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentChange(f"request {request_id} changed under its row lock")
        self._record_effects(session, request_id, change.audit, change.announcements, now)
        return True

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
        if not start_executing(session, request_id, now):
            return None
        previous = session.scalar(
            select(func.max(ExecutionRow.attempt)).where(ExecutionRow.request_id == request_id)
        )
        row = ExecutionRow(
            request_id=request_id,
            attempt=(previous or 0) + 1,
            lease_owner=owner,
            lease_expires_at=self._lease_now(session) + timedelta(seconds=lease_seconds),
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
        admit: Admit | None = None,
        phase: Phase | None = None,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """Durably mark that the call is about to go out; send only if this returns True.

        False when ``owner`` no longer holds an unexpired lease, the execution finished,
        it was already marked sent (a second send is exactly what must never happen), or
        ``admit`` refused the request: then the execution ends unsent and the request
        ends as ``admit`` says. ``phase``, the audit events and the announcements are
        written only with the mark.
        """
        require_aware(now)
        values: dict[str, Any] = {"sent_at": now}
        if phase is not None:
            values["phase"] = phase
        with self._write() as session:
            lease_now = self._lease_now(session)
            mine = (
                ExecutionRow.lease_owner == owner,
                ExecutionRow.lease_expires_at > lease_now,
                ExecutionRow.sent_at.is_(None),
            )
            if admit is not None and self._refused(session, request_id, admit, now):
                # The door ended the request: end its execution unsent with it.
                update_execution(
                    session,
                    request_id,
                    attempt,
                    mine,
                    finished_at=now,
                    phase=Phase.REFUSED,
                    message=REFUSED_AT_THE_DOOR,
                )
                return False
            if not update_execution(session, request_id, attempt, mine, **values):
                return False
            self._record_effects(session, request_id, audit, announcements, now)
            return True


def start_executing(session: Session, request_id: str, now: datetime) -> bool:
    """The one claim: APPROVED -> EXECUTING while inside the execution window, as one
    conditional UPDATE; True for the one transaction that wins it (requests and gates)."""
    won = session.execute(
        update(RequestRow)
        .where(
            RequestRow.id == request_id,
            RequestRow.status == Status.APPROVED,
            RequestRow.execute_by > now,
        )
        .values(status=Status.EXECUTING, version=RequestRow.version + 1)
        .execution_options(**NO_SYNC)
    )
    return bool(won.rowcount == 1)  # type: ignore[attr-defined]
