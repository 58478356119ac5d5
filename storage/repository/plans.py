"""Member plans: the plan row, its gates (requests) and its steps, each write one transaction.

A gate is an ordinary request (``requests.plan_id``/``gate``): decided, expired and
vetoed by the approval workflow unchanged. What differs is how it runs: instead of one
execution, :meth:`PlanStore.claim_gate` moves it APPROVED -> EXECUTING behind the same
door as a single request (``admit``), and its steps (``plan_steps``) are then each
claimed, marked sent and finished under a lease of their own (``plan_steps.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storage.errors import DuplicateSubmission
from storage.models import PlanRow, RequestRow
from storage.plan_records import NewPlan, NewStep, PlanRecord
from storage.records import AnnouncementDraft, AuditDraft, NewRequest, RequestRecord
from storage.repository.executions import Admit, start_executing
from storage.repository.leases import NO_SYNC
from storage.repository.plan_rows import add_gate, cancel_gate, move, plan_row
from storage.repository.plan_steps import StepStore, plan_record
from storage.repository.transactions import request_record, require_aware
from storage.states import PlanState, Status


class _Lost(Exception):
    """A conditional write matched no row: roll the transaction back."""


class PlanStore(StepStore):
    """Plans and gates; steps are in :class:`StepStore`."""

    def create_plan(
        self,
        plan: NewPlan,
        gate: NewRequest | None,
        steps: Sequence[NewStep],
        *,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
        now: datetime,
    ) -> PlanRecord:
        """Store the plan, its first gate and that gate's steps; DuplicateSubmission when
        the submission key filed a plan already (nothing written)."""
        require_aware(now)
        try:
            with self._write() as session:
                row = plan_row(plan, now)
                session.add(row)
                session.flush()
                if gate is not None:
                    add_gate(session, gate, steps, now)
                self._record_effects(session, None, audit, announcements, now)
                return plan_record(row)
        except IntegrityError:
            key = plan.submission_key
            earlier = self.find_plan_submission(key) if key else None
            if earlier is None:
                raise
            raise DuplicateSubmission(key or "", earlier.id) from None

    def open_gate(
        self,
        plan_id: str,
        expect: Iterable[PlanState],
        to: PlanState,
        gate: NewRequest,
        steps: Sequence[NewStep],
        *,
        cancel: str | None = None,
        values: dict[str, Any] | None = None,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
        now: datetime,
    ) -> bool:
        """Move the plan ``expect`` -> ``to`` and file ``gate`` with its steps; with
        ``cancel``, that PENDING gate is cancelled in the same transaction (its approvals
        no longer count for anything). False, nothing written, when either lost."""
        require_aware(now)
        try:
            with self._write() as session:
                if not move(session, plan_id, expect, to, now, values or {}):
                    raise _Lost
                if cancel is not None and not cancel_gate(session, cancel, now):
                    raise _Lost  # decided meanwhile: roll the move back too
                add_gate(session, gate, steps, now)
                self._record_effects(session, None, audit, announcements, now)
                return True
        except _Lost:
            return False

    def move_plan(
        self,
        plan_id: str,
        expect: Iterable[PlanState],
        to: PlanState,
        *,
        values: dict[str, Any] | None = None,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
        now: datetime,
    ) -> bool:
        """The plan ``expect`` -> ``to`` (conditional), with its events; True when it moved."""
        require_aware(now)
        with self._write() as session:
            if not move(session, plan_id, expect, to, now, values or {}):
                return False
            self._record_effects(session, None, audit, announcements, now)
            return True

    def get_plan(self, plan_id: str) -> PlanRecord | None:
        with self._read() as session:
            row = session.get(PlanRow, plan_id)
            return plan_record(row) if row else None

    def find_plan_submission(self, submission_key: str) -> PlanRecord | None:
        query = select(PlanRow).where(PlanRow.submission_key == submission_key)
        with self._read() as session:
            row = session.scalars(query).one_or_none()
            return plan_record(row) if row else None

    def plans_in(self, states: Iterable[PlanState], *, limit: int = 100) -> list[PlanRecord]:
        query = (
            select(PlanRow)
            .where(PlanRow.state.in_([s.value for s in states]))
            .order_by(PlanRow.created_at, PlanRow.id)
            .limit(limit)
        )
        with self._read() as session:
            return [plan_record(r) for r in session.scalars(query)]

    def gates_of(self, plan_id: str) -> list[RequestRecord]:
        """The plan's gates, oldest first (a gate 2 re-filed after a new choice is later)."""
        query = (
            select(RequestRow)
            .where(RequestRow.plan_id == plan_id)
            .order_by(RequestRow.created_at, RequestRow.gate, RequestRow.id)
        )
        with self._read() as session:
            return [request_record(r) for r in session.scalars(query)]

    def set_plan_card(self, plan_id: str, channel: str, ts: str) -> None:
        """Where the plan card is; its gates' thread is that card's."""
        with self._write() as session:
            session.execute(
                update(PlanRow)
                .where(PlanRow.id == plan_id)
                .values(channel=channel, card_ts=ts, version=PlanRow.version + 1)
                .execution_options(**NO_SYNC)
            )
            session.execute(
                update(RequestRow)
                .where(RequestRow.plan_id == plan_id)
                .values(channel=channel, card_ts=ts, version=RequestRow.version + 1)
                .execution_options(**NO_SYNC)
            )

    def set_gate_ts(self, plan_id: str, ts: str) -> None:
        with self._write() as session:
            session.execute(
                update(PlanRow)
                .where(PlanRow.id == plan_id)
                .values(gate_ts=ts, version=PlanRow.version + 1)
                .execution_options(**NO_SYNC)
            )

    def approved_gates(self, now: datetime) -> list[str]:
        """Gates approved and still inside their execution window."""
        query = select(RequestRow.id).where(
            RequestRow.plan_id.is_not(None),
            RequestRow.status == Status.APPROVED,
            RequestRow.execute_by > now,
        )
        with self._read() as session:
            return list(session.scalars(query.order_by(RequestRow.approved_at)))

    def claim_gate(
        self,
        request_id: str,
        *,
        now: datetime,
        admit: Admit,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """APPROVED -> EXECUTING behind the door, for exactly one caller."""
        require_aware(now)
        with self._write() as session:
            locked = session.scalars(
                select(RequestRow.id)
                .where(RequestRow.id == request_id, RequestRow.status == Status.APPROVED)
                .with_for_update()
            ).one_or_none()
            if locked is None or self._refused(session, request_id, admit, now):
                return False
            if not start_executing(session, request_id, now):
                return False
            self._record_effects(session, request_id, audit, announcements, now)
            return True

    def finish_gate(
        self,
        request_id: str,
        status: Status,
        *,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """EXECUTING -> ``status`` (final) once its steps have ended."""
        require_aware(now)
        with self._write() as session:
            done = session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.status == Status.EXECUTING)
                .values(status=status, finished_at=now, version=RequestRow.version + 1)
                .execution_options(**NO_SYNC)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            self._record_effects(session, request_id, audit, announcements, now)
            return True
