"""Migration 0007_plan on a database made by the schema before it (0006_decision_seal): every
request keeps its meaning (no plan, no gate), plans can be stored beside them, and the
CHECKs accept every plan and step state and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import make_engine
from storage.migrate import check, upgrade
from storage.plan_records import NewPlan, NewStep
from storage.records import NewRequest
from storage.repository import Repository
from storage.states import PlanState, StepState
from tests.support.scratch import scratch_postgres

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def fill_at_0006(url: str) -> None:
    upgrade(url, "0006_decision_seal")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO requests (id, operation, params, requester, reason, destructive,"
                    " required_approvals, status, created_at, expires_at, version) VALUES"
                    " ('OB-OLD00001', 'DeleteAccount', '{\"AccountId\": \"1\"}', 'U0ALICE',"
                    " 'left the company', TRUE, 2, 'PARTIAL', :now, :now, 1)"
                ),
                {"now": NOW.replace(tzinfo=None)},
            )
    finally:
        engine.dispose()


def upgraded(url: str) -> None:
    upgrade(url)
    check(url)
    repo = Repository(make_engine(url))
    try:
        old = repo.get_request("OB-OLD00001")
        assert old is not None and (old.plan_id, old.gate) == (None, None)
        plan = NewPlan("1734100000000001", "U0ALICE", "a reason", PlanState.GATE1, {"x": 1})
        gate = NewRequest(
            operation="MemberPlanGate1",
            params={"steps": []},
            requester="U0ALICE",
            reason="a reason",
            destructive=True,
            required_approvals=2,
            expires_at=NOW + timedelta(days=1),
            plan_id=plan.id,
            gate=1,
        )
        step = NewStep(1, "relieve:1", "RelieveAccountRelation", {"k": 1}, {"RelationId": "1"})
        repo.create_plan(plan, gate, [step], now=NOW)
        assert [g.id for g in repo.gates_of(plan.id)] == [gate.id]
        assert [s.state for s in repo.steps_of(gate.id)] == [StepState.PLANNED]
        for state in PlanState:
            assert repo.move_plan(plan.id, list(PlanState), state, now=NOW)
        with pytest.raises(IntegrityError), repo.engine.begin() as connection:
            connection.execute(text("UPDATE plans SET state = 'NOPE'"))
        with pytest.raises(IntegrityError), repo.engine.begin() as connection:
            connection.execute(text("UPDATE plan_steps SET state = 'NOPE'"))
    finally:
        repo.engine.dispose()


def test_sqlite_database_of_0006_upgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    fill_at_0006(url)
    upgraded(url)


@pytest.mark.postgres
def test_postgres_database_of_0006_upgrades(postgres_url: str) -> None:
    with scratch_postgres(postgres_url, prefix="offboard_plan", migrate=False) as url:
        fill_at_0006(url)
        upgraded(url)
