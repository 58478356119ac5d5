"""Member plans (issue 10): ``plans``, ``plan_steps``, and gates as requests.

- ``plans``: one member plan (the account, who asked and why, its state, the proposal
  shown, the latest fresh deletion check, where its card is).
- ``plan_steps``: one call of a plan each, under the gate (a request) whose approvals
  cover it, with its own lease and durable sent mark.
- ``requests.plan_id`` and ``requests.gate``: a request that is a gate of a plan. Both
  nullable: every existing request keeps its meaning.

Revision ID: 0007_plan
Revises: 0006_decision_seal
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007_plan"
down_revision: str | None = "0006_decision_seal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out, not imported from storage.states: a migration is a fixed step in time.
_PLAN_STATES = (
    "REFUSED",
    "GATE1",
    "REVERSIBLE",
    "CHECKING",
    "BLOCKED",
    "GATE2",
    "DELETING",
    "STOPPED",
    "SUCCEEDED",
    "FAILED",
    "ABANDONED",
    "ENDED",
    "ROLLBACK",
    "ROLLING_BACK",
    "ROLLED_BACK",
)
_STEP_STATES = (
    "PLANNED",
    "RUNNING",
    "FOLLOWING",
    "DONE",
    "ALREADY_DONE",
    "SKIPPED",
    "FAILED",
    "UNKNOWN",
)


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _utc(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("requester_team", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=4000), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("card_ts", sa.String(length=64), nullable=True),
        sa.Column("gate_ts", sa.String(length=64), nullable=True),
        sa.Column("proposal", sa.JSON(), nullable=False),
        sa.Column("fresh_check", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("submission_key", sa.String(length=255), nullable=True),
        _utc("created_at", nullable=False),
        _utc("updated_at", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_one_of("state", _PLAN_STATES), name=op.f("ck_plans_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_plans_submission_key")),
    )
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("plan_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("gate", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_requests_plan_id_plans"), "plans", ["plan_id"], ["id"])
        batch.create_index(op.f("ix_requests_plan_id"), ["plan_id"])
    op.create_table(
        "plan_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("step", sa.JSON(), nullable=False),
        sa.Column("signed", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        _utc("lease_expires_at"),
        _utc("sent_at"),
        _utc("finished_at"),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("message", sa.String(length=4000), nullable=True),
        sa.Column("cloud_request_id", sa.String(length=255), nullable=True),
        sa.Column("verified", sa.String(length=4000), nullable=True),
        sa.Column("progress", sa.String(length=4000), nullable=True),
        sa.Column("skip_reason", sa.String(length=4000), nullable=True),
        sa.CheckConstraint(_one_of("state", _STEP_STATES), name=op.f("ck_plan_steps_state")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_steps_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_plan_steps_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_steps")),
        sa.UniqueConstraint("request_id", "key", name=op.f("uq_plan_steps_request_id_key")),
    )
    op.create_index(
        op.f("ix_plan_steps_state_lease_expires_at"),
        "plan_steps",
        ["state", "lease_expires_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_steps_state_lease_expires_at"), table_name="plan_steps")
    op.drop_table("plan_steps")
    with op.batch_alter_table("requests") as batch:
        batch.drop_index(op.f("ix_requests_plan_id"))
        batch.drop_constraint(op.f("fk_requests_plan_id_plans"), type_="foreignkey")
        batch.drop_column("gate")
        batch.drop_column("plan_id")
    op.drop_table("plans")
