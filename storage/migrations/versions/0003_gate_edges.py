"""requests.submission_key: the Slack view a request was filed from, UNIQUE.

A replayed modal submission (the same signed body posted again) carries the same view
id; the UNIQUE constraint makes the second insert fail in every replica, so one
submission files one request. Existing rows keep NULL, which UNIQUE allows many times.

Revision ID: 0003_gate_edges
Revises: 0002_gate_lease
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_gate_edges"
down_revision: str | None = "0002_gate_lease"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("submission_key", sa.String(length=255), nullable=True))
        batch.create_unique_constraint(op.f("uq_requests_submission_key"), ["submission_key"])


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_constraint(op.f("uq_requests_submission_key"), type_="unique")
        batch.drop_column("submission_key")
