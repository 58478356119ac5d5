"""Approval step-up: decisions record their assurance; step-up enrolments, recovery codes
and failures.

Every decision stored before this revision was a Slack-account click, so the new
``decisions.assurance`` column is filled with 1 (``Assurance.SLACK_ACCOUNT``) for them.

Revision ID: 0004_stepup
Revises: 0003_gate_edges
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_stepup"
down_revision: str | None = "0003_gate_edges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot add a CHECK constraint in place (it copies the table).
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(
            sa.Column("assurance", sa.Integer(), server_default="1", nullable=False),
        )
        batch.create_check_constraint(op.f("ck_decisions_assurance"), "assurance IN (1, 2)")

    op.create_table(
        "step_up_enrolments",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("enrolment_id", sa.String(length=64), nullable=False),
        sa.Column("sealed_secret", sa.String(length=255), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.String(length=255), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_step_up_enrolments")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_step_up_enrolments_enrolment_id")),
    )
    op.create_table(
        "step_up_recovery_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["step_up_enrolments.user_id"],
            name=op.f("fk_step_up_recovery_codes_user_id_step_up_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_up_recovery_codes")),
        sa.UniqueConstraint("user_id", "slot", name=op.f("uq_step_up_recovery_codes_user_id_slot")),
    )
    op.create_table(
        "step_up_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_up_failures")),
    )
    op.create_index(
        op.f("ix_step_up_failures_user_id_at"), "step_up_failures", ["user_id", "at"], unique=False
    )


def downgrade() -> None:
    for table in ("step_up_failures", "step_up_recovery_codes", "step_up_enrolments"):
        op.drop_table(table)
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(op.f("ck_decisions_assurance"), type_="check")
        batch.drop_column("assurance")
