"""Decisions' seals when the key that made them is replaced (``offboard-bot totp rotate-key``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import DecisionRow, RequestRow
from storage.records import DecisionRecord
from storage.repository.transactions import decision_record
from storage.states import Status


def reseal_open_decisions(session: Session, reseal: Callable[[DecisionRecord], str | None]) -> None:
    """Re-seal the sealed decisions of requests still open (PENDING or APPROVED), locked;
    ``reseal`` returns the new seal, or None to leave one as it is."""
    open_requests = select(RequestRow.id).where(
        RequestRow.status.in_((Status.PENDING, Status.APPROVED))
    )
    rows = session.scalars(
        select(DecisionRow)
        .where(DecisionRow.request_id.in_(open_requests), DecisionRow.seal.is_not(None))
        .with_for_update()
    )
    for row in rows:
        new = reseal(decision_record(row))
        if new is not None:
            row.seal = new
