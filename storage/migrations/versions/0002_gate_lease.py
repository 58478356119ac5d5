"""The gate: status TAMPERED, lease confirmations and late answers on executions.

- ``requests.status`` may be ``TAMPERED``: an approval the stored decisions do not
  justify, refused before anything was sent.
- ``executions.lease_confirmed_at``: when the lease was last confirmed before an attempt.
- ``executions.late_*``: a real answer that reached a worker after another had taken the
  execution over, kept and announced as a correction.

Existing rows keep their values; every new column is nullable.

Revision ID: 0002_gate_lease (the branch is gate-lease; Alembic ids may not contain "-")
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_gate_lease"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = (
    "PENDING",
    "APPROVED",
    "EXECUTING",
    "SUCCEEDED",
    "FAILED",
    "UNKNOWN",
    "REJECTED",
    "EXPIRED",
    "CANCELLED",
)
_OUTCOMES = "'SUCCEEDED', 'FAILED', 'UNKNOWN'"


def _status_check(statuses: Sequence[str]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_constraint(op.f("ck_requests_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_requests_status"), _status_check((*_STATUSES, "TAMPERED"))
        )
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("lease_confirmed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("late_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("late_owner", sa.String(length=255)))
        batch.add_column(sa.Column("late_outcome", sa.String(length=16)))
        batch.add_column(sa.Column("late_http_status", sa.Integer()))
        batch.add_column(sa.Column("late_code", sa.String(length=255)))
        batch.add_column(sa.Column("late_message", sa.String(length=4000)))
        batch.add_column(sa.Column("late_cloud_request_id", sa.String(length=255)))
        batch.add_column(sa.Column("late_body", sa.JSON(none_as_null=True)))
        batch.create_check_constraint(
            op.f("ck_executions_late_outcome"),
            f"late_outcome IS NULL OR late_outcome IN ({_OUTCOMES})",
        )


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_constraint(op.f("ck_executions_late_outcome"), type_="check")
        for column in (
            "late_body",
            "late_cloud_request_id",
            "late_message",
            "late_code",
            "late_http_status",
            "late_outcome",
            "late_owner",
            "late_at",
            "lease_confirmed_at",
        ):
            batch.drop_column(column)
    # The old schema has no word for TAMPERED; nothing was sent, so FAILED is the closest.
    op.execute("UPDATE requests SET status = 'FAILED' WHERE status = 'TAMPERED'")
    with op.batch_alter_table("requests") as batch:
        batch.drop_constraint(op.f("ck_requests_status"), type_="check")
        batch.create_check_constraint(op.f("ck_requests_status"), _status_check(_STATUSES))
