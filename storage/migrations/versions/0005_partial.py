"""PARTIAL: an accepted call some of whose items failed inside the answer.

The CHECK constraints of ``requests.status``, ``executions.outcome`` and
``executions.late_outcome`` gain the value; no row changes.

Revision ID: 0005_partial
Revises: 0004_stepup
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_partial"
down_revision: str | None = "0004_stepup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out, not imported from storage.states: a migration is a fixed step in time.
_BEFORE = ("PENDING", "APPROVED", "EXECUTING", "SUCCEEDED", "FAILED", "UNKNOWN")
_AFTER_REQUESTS = ("REJECTED", "EXPIRED", "CANCELLED", "TAMPERED")
_OUTCOMES_BEFORE = ("SUCCEEDED", "FAILED", "UNKNOWN")
_OUTCOMES_AFTER = ("SUCCEEDED", "PARTIAL", "FAILED", "UNKNOWN")


def _one_of(column: str, values: Sequence[str], nullable: bool = False) -> str:
    check = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {check}" if nullable else check


def _statuses(partial: bool) -> tuple[str, ...]:
    live = _BEFORE[:4] + (("PARTIAL",) if partial else ()) + _BEFORE[4:]
    return live + _AFTER_REQUESTS


def _apply(partial: bool) -> None:
    outcomes = _OUTCOMES_AFTER if partial else _OUTCOMES_BEFORE
    with op.batch_alter_table("requests") as batch:
        batch.drop_constraint(op.f("ck_requests_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_requests_status"), _one_of("status", _statuses(partial))
        )
    with op.batch_alter_table("executions") as batch:
        for column in ("outcome", "late_outcome"):
            batch.drop_constraint(op.f(f"ck_executions_{column}"), type_="check")
            batch.create_check_constraint(
                op.f(f"ck_executions_{column}"), _one_of(column, outcomes, nullable=True)
            )


def upgrade() -> None:
    _apply(partial=True)


def downgrade() -> None:
    _apply(partial=False)
