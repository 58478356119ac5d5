"""The rows a plan writes: the plan itself, a gate (a request) with its steps, and the
conditional moves of a plan's state and of a pending gate (``plans.py`` composes them
into transactions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import PlanRow, PlanStepRow, RequestRow
from storage.plan_records import NewPlan, NewStep
from storage.records import NewRequest
from storage.repository.leases import NO_SYNC
from storage.states import PlanState, Status, StepState


def plan_row(plan: NewPlan, now: datetime) -> PlanRow:
    return PlanRow(
        id=plan.id,
        account_id=plan.account_id,
        requester=plan.requester,
        requester_team=plan.requester_team,
        reason=plan.reason,
        state=plan.state,
        channel=plan.channel,
        proposal=plan.proposal,
        submission_key=plan.submission_key,
        created_at=now,
        updated_at=now,
        version=1,
    )


def add_gate(session: Session, gate: NewRequest, steps: Sequence[NewStep], now: datetime) -> None:
    card_ts = None
    if gate.plan_id is not None:
        card_ts = session.scalar(select(PlanRow.card_ts).where(PlanRow.id == gate.plan_id))
    session.add(
        RequestRow(
            id=gate.id,
            operation=gate.operation,
            params=dict(gate.params),
            requester=gate.requester,
            requester_team=gate.requester_team,
            reason=gate.reason,
            destructive=gate.destructive,
            required_approvals=gate.required_approvals,
            status=Status.PENDING,
            channel=gate.channel,
            card_ts=card_ts,
            submission_key=gate.submission_key,
            created_at=now,
            expires_at=gate.expires_at,
            version=1,
            plan_id=gate.plan_id,
            gate=gate.gate,
        )
    )
    session.flush()
    for step in steps:
        session.add(
            PlanStepRow(
                plan_id=gate.plan_id,
                request_id=gate.id,
                ordinal=step.ordinal,
                key=step.key,
                action=step.action,
                step=step.step,
                signed=step.signed,
                state=StepState.PLANNED,
                attempt=0,
            )
        )
    session.flush()


def move(
    session: Session,
    plan_id: str,
    expect: Iterable[PlanState],
    to: PlanState,
    now: datetime,
    values: dict[str, Any],
) -> bool:
    moved = session.execute(
        update(PlanRow)
        .where(PlanRow.id == plan_id, PlanRow.state.in_([s.value for s in expect]))
        .values(state=to, updated_at=now, version=PlanRow.version + 1, **values)
        .execution_options(**NO_SYNC)
    )
    return moved.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def cancel_gate(session: Session, request_id: str, now: datetime) -> bool:
    done = session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, RequestRow.status == Status.PENDING)
        .values(status=Status.CANCELLED, finished_at=now, version=RequestRow.version + 1)
        .execution_options(**NO_SYNC)
    )
    return done.rowcount == 1  # type: ignore[attr-defined,no-any-return]
