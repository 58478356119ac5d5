"""The steps of a plan's gates: claimed, marked sent, finished, each under a lease.

The same guarantees as a single request's execution (``executions.py``): a step is
claimed by one conditional UPDATE (PLANNED -> RUNNING, only while its gate is
EXECUTING); ``mark_step_sent`` commits ``sent_at`` before the call goes out, behind the
door (the gate's stored decisions are counted again in the same transaction) and only
for the owner of an unexpired lease; a step whose lease ran out is taken over by one
caller, who may send it only if ``sent_at`` is empty, and otherwise reconciles it by a
read, never by sending again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import PlanRow, PlanStepRow, RequestRow
from storage.plan_records import PlanRecord, StepOutcome, StepRecord
from storage.records import AnnouncementDraft, AuditDraft
from storage.repository.executions import Admit, ExecutionStore
from storage.repository.leases import NO_SYNC
from storage.repository.transactions import require_aware, step_result, step_result_columns
from storage.states import PlanState, Status, StepState

_LEASED = (StepState.RUNNING, StepState.FOLLOWING)


class StepStore(ExecutionStore):
    def steps_of(self, request_id: str) -> list[StepRecord]:
        """A gate's steps in plan order."""
        query = select(PlanStepRow).where(PlanStepRow.request_id == request_id)
        with self._read() as session:
            return [step_record(r) for r in session.scalars(query.order_by(PlanStepRow.ordinal))]

    def get_step(self, step_id: int) -> StepRecord | None:
        with self._read() as session:
            row = session.get(PlanStepRow, step_id)
            return step_record(row) if row else None

    def claim_step(
        self, step_id: int, *, owner: str, lease_seconds: float, now: datetime
    ) -> StepRecord | None:
        """PLANNED -> RUNNING for exactly one caller, while the step's gate is EXECUTING."""
        require_aware(now)
        with self._write() as session:
            executing = _gate_executing()
            won = session.execute(
                update(PlanStepRow)
                .where(PlanStepRow.id == step_id, PlanStepRow.state == StepState.PLANNED)
                .where(executing)
                .values(
                    state=StepState.RUNNING,
                    attempt=PlanStepRow.attempt + 1,
                    lease_owner=owner,
                    lease_expires_at=self._lease_now(session) + timedelta(seconds=lease_seconds),
                    sent_at=None,
                )
                .execution_options(**NO_SYNC)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return step_record(session.get_one(PlanStepRow, step_id, populate_existing=True))

    def mark_step_sent(
        self,
        step: StepRecord,
        *,
        owner: str,
        now: datetime,
        admit: Admit,
        audit: Sequence[AuditDraft] = (),
    ) -> bool:
        """Durably mark the step sent; send only if this returns True. False when the
        lease is not ``owner``'s (or ran out), it was marked sent already, or the door
        refused the gate (which then ends as the door says)."""
        require_aware(now)
        with self._write() as session:
            if self._refused(session, step.request_id, admit, now):
                _end_unsent(session, step.id, owner, now)
                return False
            marked = session.execute(
                update(PlanStepRow)
                .where(*_mine(step.id, owner, self._lease_now(session)))
                .where(PlanStepRow.sent_at.is_(None), _gate_executing())
                .values(sent_at=now)
                .execution_options(**NO_SYNC)
            )
            if marked.rowcount != 1:  # type: ignore[attr-defined]
                return False
            self._record_effects(session, step.request_id, audit, (), now)
            return True

    def finish_step(
        self,
        step: StepRecord,
        outcome: StepOutcome,
        *,
        owner: str,
        now: datetime,
        lease_seconds: float = 60.0,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """Store what the step ended with (or FOLLOWING, with its lease renewed); only
        the lease's owner may."""
        require_aware(now)
        values: dict[str, Any] = step_result_columns(outcome.result)
        if outcome.verified is not None:
            values["verified"] = outcome.verified
        values["state"] = outcome.state
        if outcome.progress is not None:
            values["progress"] = outcome.progress
        with self._write() as session:
            lease_now = self._lease_now(session)
            if outcome.state is StepState.FOLLOWING:
                values["lease_expires_at"] = lease_now + timedelta(seconds=lease_seconds)
            else:
                values["finished_at"] = now
            done = session.execute(
                update(PlanStepRow)
                .where(*_mine(step.id, owner, lease_now))
                .values(**values)
                .execution_options(**NO_SYNC)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            self._record_effects(session, step.request_id, audit, announcements, now)
            return True

    def expired_steps(self) -> list[StepRecord]:
        """Leased steps whose lease ran out: their runner died or stalled."""
        with self._read() as session:
            lease_now = self._lease_now(session)
            query = select(PlanStepRow).where(
                PlanStepRow.state.in_([s.value for s in _LEASED]),
                PlanStepRow.lease_expires_at <= lease_now,
            )
            return [step_record(r) for r in session.scalars(query.order_by(PlanStepRow.id))]

    def take_over_step(
        self,
        step: StepRecord,
        *,
        owner: str,
        lease_seconds: float,
        now: datetime,
        audit: Sequence[AuditDraft] = (),
    ) -> StepRecord | None:
        """Give an expired step to exactly one new owner, keeping its sent mark."""
        require_aware(now)
        with self._write() as session:
            lease_now = self._lease_now(session)
            won = session.execute(
                update(PlanStepRow)
                .where(
                    PlanStepRow.id == step.id,
                    PlanStepRow.state == step.state,
                    PlanStepRow.lease_owner == step.lease_owner,
                    PlanStepRow.lease_expires_at <= lease_now,
                )
                .values(
                    lease_owner=owner,
                    lease_expires_at=lease_now + timedelta(seconds=lease_seconds),
                )
                .execution_options(**NO_SYNC)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                return None
            self._record_effects(session, step.request_id, audit, (), now)
            return step_record(session.get_one(PlanStepRow, step.id, populate_existing=True))

    def reset_step(
        self,
        step_id: int,
        expect: Iterable[StepState],
        to: StepState,
        *,
        now: datetime,
        skip_reason: str | None = None,
        audit: Sequence[AuditDraft] = (),
        announcements: Sequence[AnnouncementDraft] = (),
    ) -> bool:
        """A person's retry (-> PLANNED, sent mark cleared: a new decision to send) or skip
        (-> SKIPPED with the reason); conditional on the state they saw."""
        require_aware(now)
        values: dict[str, Any] = {"state": to, "lease_owner": None, "lease_expires_at": None}
        if to is StepState.PLANNED:
            values |= {"sent_at": None, "finished_at": None}
        if skip_reason is not None:
            values["skip_reason"] = skip_reason
        with self._write() as session:
            done = session.execute(
                update(PlanStepRow)
                .where(
                    PlanStepRow.id == step_id,
                    PlanStepRow.state.in_([s.value for s in expect]),
                )
                .values(**values)
                .execution_options(**NO_SYNC)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            request_id = session.scalar(
                select(PlanStepRow.request_id).where(PlanStepRow.id == step_id)
            )
            self._record_effects(session, request_id, audit, announcements, now)
            return True


def _gate_executing() -> Any:
    """The step's gate is EXECUTING: approved, claimed behind the door, not ended."""
    return (
        select(RequestRow.id)
        .where(RequestRow.id == PlanStepRow.request_id, RequestRow.status == Status.EXECUTING)
        .exists()
    )


def _mine(step_id: int, owner: str, lease_now: datetime) -> tuple[Any, ...]:
    return (
        PlanStepRow.id == step_id,
        PlanStepRow.lease_owner == owner,
        PlanStepRow.lease_expires_at > lease_now,
        PlanStepRow.state.in_([s.value for s in _LEASED]),
    )


def _end_unsent(session: Session, step_id: int, owner: str, now: datetime) -> None:
    session.execute(
        update(PlanStepRow)
        .where(PlanStepRow.id == step_id, PlanStepRow.lease_owner == owner)
        .where(PlanStepRow.sent_at.is_(None))
        .values(
            state=StepState.FAILED,
            finished_at=now,
            message="Not sent: the gate's stored decisions do not justify its approval.",
        )
        .execution_options(**NO_SYNC)
    )


def step_record(row: PlanStepRow) -> StepRecord:
    return StepRecord(
        id=row.id,
        plan_id=row.plan_id,
        request_id=row.request_id,
        ordinal=row.ordinal,
        key=row.key,
        action=row.action,
        step=dict(row.step),
        signed=dict(row.signed),
        state=StepState(row.state),
        attempt=row.attempt,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        sent_at=row.sent_at,
        finished_at=row.finished_at,
        result=step_result(row),
        verified=row.verified,
        progress=row.progress,
        skip_reason=row.skip_reason,
    )


def plan_record(row: PlanRow) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        account_id=row.account_id,
        requester=row.requester,
        requester_team=row.requester_team,
        reason=row.reason,
        state=PlanState(row.state),
        channel=row.channel,
        card_ts=row.card_ts,
        gate_ts=row.gate_ts,
        proposal=dict(row.proposal),
        fresh_check=row.fresh_check,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )
