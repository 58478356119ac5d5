"""Decisions say what they approved: ``decisions.binding`` and ``decisions.seal``.

``binding`` is filled for existing rows from their request as stored now (the call they
were recorded against, as far as can be known). ``seal`` stays empty for them: only the
running bot holds the key. With ``OFFBOARD_SECRET_KEY`` set, an unsealed approval does
not count at the door, so requests approved but not yet executed when upgrading end
TAMPERED: let them run (or expire) before upgrading.

Revision ID: 0006_decision_seal
Revises: 0005_partial
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_decision_seal"
down_revision: str | None = "0005_partial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _binding(request_id: str, operation: str, params: object) -> str:
    # A copy of bot.approvals.seal.binding as of this revision: a migration is a fixed step.
    canonical = json.dumps(
        {"id": request_id, "operation": operation, "params": params},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("binding", sa.String(64), nullable=True))
        batch.add_column(sa.Column("seal", sa.String(64), nullable=True))
    connection = op.get_bind()
    requests = sa.table(
        "requests", sa.column("id"), sa.column("operation"), sa.column("params", sa.JSON())
    )
    decisions = sa.table("decisions", sa.column("request_id"), sa.column("binding"))
    for request_id, operation, params in connection.execute(
        sa.select(requests.c.id, requests.c.operation, requests.c.params)
    ):
        connection.execute(
            decisions.update()
            .where(decisions.c.request_id == request_id)
            .values(binding=_binding(request_id, operation, params))
        )


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("seal")
        batch.drop_column("binding")
