"""Counts for the metrics endpoint, read from the tables at scrape time.

Every replica (and the ack process, which never runs the work) reads the same database,
so what these counts say is the same wherever ``/metrics`` is scraped: requests by
operation and status, decisions by vote, finished executions by outcome, lease take-overs
(from the append-only audit log), the undelivered outbox and the oldest pending request.
Decisions, finished executions and audit events are never deleted, so their counts only
grow: they are counters, not gauges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.models import AuditEventRow, DecisionRow, ExecutionRow, OutboxRow, RequestRow
from storage.repository.transactions import Transactions
from storage.states import Status

#: The audit event a worker appends when it takes over an expired lease.
TAKEN_OVER = "execution.taken_over"


@dataclass(frozen=True)
class Stats:
    """One consistent reading of the counts (one read transaction)."""

    requests: dict[tuple[str, str], int]  # (operation, status) -> how many
    decisions: dict[str, int]  # vote -> how many
    executions: dict[tuple[str, str], int]  # (operation, outcome) -> finished executions
    outbox_backlog: dict[str, int]  # kind -> undelivered announcements
    oldest_pending: datetime | None  # created_at of the oldest PENDING request
    takeovers: int


class StatsStore(Transactions):
    """The read behind ``offboard_*`` metrics that reflect the database."""

    def stats(self) -> Stats:
        """Count everything in one read transaction (a few grouped queries)."""
        with self._read() as session:
            requests = session.execute(
                select(RequestRow.operation, RequestRow.status, func.count()).group_by(
                    RequestRow.operation, RequestRow.status
                )
            ).all()
            decisions = session.execute(
                select(DecisionRow.vote, func.count()).group_by(DecisionRow.vote)
            ).all()
            executions = session.execute(
                select(RequestRow.operation, ExecutionRow.outcome, func.count())
                .join(RequestRow, RequestRow.id == ExecutionRow.request_id)
                .where(ExecutionRow.outcome.is_not(None))
                .group_by(RequestRow.operation, ExecutionRow.outcome)
            ).all()
            backlog = session.execute(
                select(OutboxRow.kind, func.count())
                .where(OutboxRow.delivered_at.is_(None))
                .group_by(OutboxRow.kind)
            ).all()
            oldest = session.scalar(
                select(func.min(RequestRow.created_at)).where(RequestRow.status == Status.PENDING)
            )
            takeovers = session.scalar(select(func.count()).where(AuditEventRow.kind == TAKEN_OVER))
        return Stats(
            requests={(str(op), str(status)): int(n) for op, status, n in requests},
            decisions={str(vote): int(n) for vote, n in decisions},
            executions={(str(op), str(outcome)): int(n) for op, outcome, n in executions},
            outbox_backlog={str(kind): int(n) for kind, n in backlog},
            oldest_pending=oldest,
            takeovers=int(takeovers or 0),
        )
